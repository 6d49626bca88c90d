"""The committed weights become a model folder: tuned layers written over the packaged backbone's."""

import torch
from safetensors.torch import load_file

from models.artifacts import FILES, WEIGHTS_DIR, weights_sha256, write_model_dir
from models.network import backbone_path


def test_model_dir_overwrites_only_the_tuned_layers(tmp_path):
    write_model_dir(tmp_path)
    built = load_file(tmp_path / "backbone" / "model.safetensors")
    packaged = load_file(backbone_path() / "model.safetensors")
    tuned = load_file(WEIGHTS_DIR / "backbone_top.safetensors")
    assert set(built) == set(packaged)
    assert tuned and all(v.dtype == torch.float16 for v in tuned.values())
    for name, value in built.items():
        assert value.dtype == packaged[name].dtype
        expected = tuned[name].float() if name in tuned else packaged[name]
        assert torch.equal(value, expected), name
    assert any(not torch.equal(built[n], packaged[n]) for n in tuned)
    assert (tmp_path / "heads.safetensors").read_bytes() == (WEIGHTS_DIR / "heads.safetensors").read_bytes()
    assert (tmp_path / "backbone" / "tokenizer.json").is_file()


def test_weights_hash_follows_the_bytes(tmp_path):
    for name in FILES:
        (tmp_path / name).write_bytes((WEIGHTS_DIR / name).read_bytes())
    assert weights_sha256(tmp_path) == weights_sha256()
    (tmp_path / "heads.json").write_text((WEIGHTS_DIR / "heads.json").read_text() + " ")
    assert weights_sha256(tmp_path) != weights_sha256()
