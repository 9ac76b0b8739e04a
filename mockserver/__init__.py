"""The mock: a pure engine with ASGI, respx and CLI adapters over it."""

__all__: list[str] = []
