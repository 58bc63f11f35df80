"""Communities: creating one (`service.create_community`) and changing its settings (`service.configure_community`)."""

from cerchia.communities.service import CONFIGURABLE, CreatedCommunity, configure_community, create_community

__all__ = ["CONFIGURABLE", "CreatedCommunity", "configure_community", "create_community"]
