"""Lists that several pages repeat word for word (facts: names only)."""

SCHEDULERS = (
    "DDPMScheduler", "DDIMScheduler", "PNDMScheduler", "LMSDiscreteScheduler",
    "EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler", "DPMSolverMultistepScheduler",
    "HeunDiscreteScheduler", "KDPM2DiscreteScheduler", "DPMSolverSinglestepScheduler",
    "KDPM2AncestralDiscreteScheduler", "UniPCMultistepScheduler", "DDIMInverseScheduler",
    "DEISMultistepScheduler", "IPNDMScheduler", "KarrasVeScheduler", "ScoreSdeVeScheduler",
    "LCMScheduler",
)

SAFETY_CHECKER_TYPES = ("blur", "sensitive_content_text", "pixelate", "black")

IP_ADAPTER_IDS = (
    "ip-adapter_sdxl", "ip-adapter_sd15", "ip-adapter-plus-face_sd15",
    "ip-adapter-plus_sdxl_vit-h", "ip-adapter-plus-face_sdxl_vit-h",
)

#: Our stand-ins for the free text in the pages' examples: the shapes matter, not the prose.
PROMPT = "a lighthouse on a cliff at dusk, detailed, warm light"
NEGATIVE = "blurry, low quality"
