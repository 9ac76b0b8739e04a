"""The current v6 LoRA page (steps 1 to 20, capped; one example, a Java sample)."""

from spec.authoring._facts import Fact, Source
from spec.authoring.sources._shared import NEGATIVE, PROMPT, SCHEDULERS
from spec.endpoints import V6

YES_NO = ("yes", "no")

SOURCE = Source(
    id="v6-lora-page",
    title="v6 community models: LoRA (docs page, current)",
    url="https://docs.modelslab.com/image-generation/community-models/dreamboothlora",
    endpoint=V6,
    params={
        "key": Fact(type="string"),
        "model_id": Fact(type="string"),
        "prompt": Fact(type="string"),
        "negative_prompt": Fact(type="string"),
        "width": Fact(maximum=1024),
        "height": Fact(maximum=1024),
        "samples": Fact(maximum=4),
        "num_inference_steps": Fact(minimum=1, maximum=20, cap=20),
        "safety_checker": Fact(type="yes/no", default="yes", enum=YES_NO),
        "enhance_prompt": Fact(type="yes/no", default="yes", enum=YES_NO),
        "seed": Fact(nullable=True),
        "guidance_scale": Fact(minimum=1, maximum=20),
        "multi_lingual": Fact(type="yes/no", enum=YES_NO),
        "panorama": Fact(type="yes/no", enum=YES_NO),
        "self_attention": Fact(type="yes/no", enum=YES_NO),
        "upscale": Fact(type="yes/no", enum=YES_NO),
        "lora_model": Fact(type="id-list"),
        "lora_strength": Fact(type="strength-list", minimum=0.1, maximum=1),
        "scheduler": Fact(type="enum", enum=SCHEDULERS),
        "webhook": Fact(type="url"),
        "track_id": Fact(type="integer"),
        "clip_skip": Fact(minimum=1, maximum=8),
        "base64": Fact(type="yes/no", default="no", enum=YES_NO),
        "temp": Fact(type="yes/no", enum=YES_NO),
    },
    examples=(
        {
            "key": "", "model_id": "tamarin-xl-v1", "prompt": PROMPT, "negative_prompt": NEGATIVE,
            "width": "512", "height": "512", "samples": "1", "num_inference_steps": "31",
            "safety_checker": "no", "enhance_prompt": "yes", "seed": None,
            "guidance_scale": 7.5, "panorama": "no", "self_attention": "no", "upscale": "no",
            "lora_strength": "0.45", "lora_model": "xl-realistic-cake-art-sty",
            "scheduler": "UniPCMultistepScheduler", "webhook": None, "track_id": None,
        },
        # The page's Java sample: steps "30" and a strength list with a trailing comma.
        {
            "key": "", "model_id": "your_model_id", "prompt": PROMPT, "negative_prompt": NEGATIVE,
            "width": "512", "height": "512", "samples": "1", "num_inference_steps": "30",
            "safety_checker": "no", "enhance_prompt": "yes", "seed": None,
            "guidance_scale": 7.5, "panorama": "no", "self_attention": "no", "upscale": "no",
            "lora_model": "xl-realistic-cake-art-sty", "lora_strength": "0.45,",
            "scheduler": "UniPCMultistepScheduler", "webhook": None, "track_id": None,
        },
    ),
    claims={
        "response_id_type": "integer",
        "response_meta_keys": ("safety_checker", "lora", "lora_strength", "clip_skip"),
        "response_meta_clip_skip_when_not_sent": 1,
        "response_meta_tomesd_when_not_sent": "no",
        "response_meta_algorithm_type": "no",
        "response_example_steps_for_request_31": 30,
        "upscale_factor": 2,
    },
)
