"""One module per documented page; `SOURCES` lists them in the order the ledger cites them."""

from spec.authoring._facts import Source
from spec.authoring.sources import (
    later_sources,
    v4_dreambooth_page,
    v6_lora_page,
    v6_lora_page_retired,
    v6_multi_lora_page,
    v6_openapi,
    v6_text2img_page,
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
)

#: The enums several pages list alike (the resolved fields read them from here).
__all__ = ["IP_ADAPTER_IDS", "SAFETY_CHECKER_TYPES", "SCHEDULERS", "SOURCES"]
