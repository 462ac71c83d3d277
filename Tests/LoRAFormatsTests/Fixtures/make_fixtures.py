"""Regenerates the real torch.save fixtures (needs torch; not run in CI):
    python make_fixtures.py   (in this folder)
Made with torch 2.13.0+cpu. They are checked in rather than written at test time because
the torch that PyPI serves for Linux x86_64 is the CUDA build (a 539 MB wheel for 2.15.0,
plus several GB of CUDA libraries it requires); the CPU wheels live on PyTorch's own index,
which CI cannot reach. Safetensors files, by contrast, are written at test time by the real
library (Tests/e2e/test_real_tools.py).
Valid: zip-bf16.ckpt, zip-module.ckpt (state dict with _metadata), zip-parameter.ckpt,
legacy-bf16.ckpt. Refused: torchscript.pt (torch.jit.save), zip-reduce-system.ckpt
(an object whose __reduce__ is os.system, saved by torch.save)."""
import collections
import os

import torch

torch.manual_seed(0)
sd = collections.OrderedDict()
sd["diffusion_model.blocks.0.self_attn.q.lora_down.weight"] = torch.randn(4, 64).to(torch.bfloat16)
sd["diffusion_model.blocks.0.self_attn.q.lora_up.weight"] = torch.zeros(64, 4, dtype=torch.float16)
sd["diffusion_model.blocks.0.self_attn.q.alpha"] = torch.tensor(4.0)
sd["diffusion_model.blocks.0.self_attn.k.lora_down.weight"] = torch.randn(8, 64)[::2]  # a strided view
torch.save(sd, "zip-bf16.ckpt")
torch.save(sd, "legacy-bf16.ckpt", _use_new_zipfile_serialization=False)
m = torch.nn.Linear(4, 4)
torch.save(m.state_dict(), "zip-module.ckpt")
torch.save({"state_dict": m.state_dict(), "p": torch.nn.Parameter(torch.ones(2)), "step": 10,
            "size": torch.Size([2, 3])}, "zip-parameter.ckpt")
torch.jit.save(torch.jit.script(m), "torchscript.pt")


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/lorafs-pwned",))


torch.save({"x": Evil()}, "zip-reduce-system.ckpt")
