"""Cerchia: engagement automation for small online communities.

The package shipped as the Lambda layer. `domain` holds pure rules over pydantic models,
`store` owns every DynamoDB key, `mail` renders and sends email, `services` ties them
together for the functions in `functions/`.
"""
