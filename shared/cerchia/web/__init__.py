"""What the pages and the leader API share: pages, forms, security headers, answers to domain errors."""
