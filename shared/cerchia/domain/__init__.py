"""Pure domain: pydantic models and rules. Knows nothing of boto3, HTTP or the wall clock."""
