"""One module per documented page; `SOURCES` lists them in the order the ledger cites them."""

from spec.authoring._facts import Source
from spec.authoring.sources import (
    docs_v2_pages,
    later_sources,
    realtime_pages,
    v3_pages_2024,
    v4_dreambooth_page,
    v6_lora_page,
    v6_lora_page_retired,
    v6_multi_lora_page,
    v6_openapi,
    v6_text2img_page,
    v7_clients,
)
from spec.authoring.sources._shared import IP_ADAPTER_IDS, SAFETY_CHECKER_TYPES, SCHEDULERS

SOURCES: tuple[Source, ...] = (
    v6_text2img_page.SOURCE,
    v6_lora_page.SOURCE,
    v6_lora_page_retired.SOURCE,
    v6_multi_lora_page.SOURCE,
    v6_openapi.SOURCE,
    v4_dreambooth_page.SOURCE,
    later_sources.ERROR_CATALOGUE,
    later_sources.OBSERVED_API,
    docs_v2_pages.ERROR_CODES,
    docs_v2_pages.WEBHOOKS,
    docs_v2_pages.FLUX_PAGE,
    docs_v2_pages.FLUX_OPENAPI,
    docs_v2_pages.COMMUNITY_OPENAPI,
    v7_clients.GUIDE,
    v7_clients.CLI,
    v7_clients.PY_PROVIDERS,
    realtime_pages.OPENAPI,
    realtime_pages.PAGES,
    v3_pages_2024.V3_TEXT2IMG,
    v3_pages_2024.V3_DREAMBOOTH_PAGE,
    v3_pages_2024.OLD_CLIENT,
)

#: The enums several pages list alike (the resolved fields read them from here).
__all__ = ["IP_ADAPTER_IDS", "SAFETY_CHECKER_TYPES", "SCHEDULERS", "SOURCES"]
