"""Prepare the container's wheelhouse: the pinned runtime wheels, slimmed.

    python scripts/wheelhouse.py build/wheelhouse

Downloads (on the host, with the host's pip settings and trust store) every wheel the
runtime needs (requirements/runtime.txt: ONNX Runtime, tokenizers, BentoML, ...; no torch or
transformers), pinned by requirements/constraints.txt. Then rewrites wheels without what a
CPU inference server never loads, with a correct RECORD:
- test suites, type stubs (.pyi), C headers and static libraries (numpy's include/ and lib/),
  numpy's f2py and distutils (build tools);
- onnxruntime's offline tools: `transformers` (graph optimisers), `quantization` (the int8
  model is made at export time, in the training environment) and `tools`;
- phonenumbers' geocoding, carrier and time-zone data;
- tokenizers' dependency on huggingface-hub (and with it hf-xet, httpx2, ...): it serves only
  `Tokenizer.from_pretrained`, a download from the Hub; the runner loads tokenizer.json from
  the model store. The wheels no longer needed leave the wheelhouse.
The folder also holds `uv` (UV, the binary from its PyPI wheel): the base image's
/usr/local/bin/uv (docker/uv.sh) fetches it from here for each build step.
Shared libraries lose their symbol tables (`strip --strip-unneeded`, when binutils is
installed), except those auditwheel patched (an RPATH/RUNPATH, or in a `*.libs/` folder):
stripping a patchelf-edited library such as numpy's vendored OpenBLAS breaks it.
onnxruntime's libraries come stripped already.

The container build installs from this folder over loopback (scripts/container.sh):
nothing is downloaded inside it, so no CA certificate or credential ever enters an image
(behind a TLS-intercepting proxy, set EXTRA_CA_CERTS to the proxy's CA bundle for the host's
downloads, if pip's own settings do not already trust it).
"""

from __future__ import annotations

import base64
import email.parser
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "requirements/runtime.txt"
UV = "uv==0.13.4"  # at least the version BentoML's Dockerfile asks for
EVERYWHERE = re.compile(r"^[^/]+/(.+/)?tests?/|\.(pyi|pxd|pyx|h|a)$")
DROP = {
    "numpy": re.compile(r"^numpy/(_core/include|_core/lib|f2py|distutils|_pyinstaller)/"),
    "onnxruntime": re.compile(r"^onnxruntime/(transformers|quantization|tools)/"),
    "phonenumbers": re.compile(r"^phonenumbers/(geodata|carrierdata|tzdata)/"),
}
# Requirements a package declares that the service never exercises (see the docstring).
UNUSED_REQUIREMENTS = {"tokenizers": {"huggingface-hub"}}


def download(target: Path) -> None:
    # Behind a TLS-intercepting proxy: EXTRA_CA_CERTS names a CA bundle for these
    # downloads. They happen here, on the host, so the bundle never enters an image.
    cert = os.environ.get("EXTRA_CA_CERTS")
    result = subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--quiet", "--only-binary", ":all:",
            *(["--cert", cert] if cert else []),
            "-r", str(RUNTIME),
            "-c", str(ROOT / "requirements/constraints.txt"),
            "-d", str(target),
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"pip download failed ({result.returncode})")


def fetch_uv(target: Path) -> None:
    cert = os.environ.get("EXTRA_CA_CERTS")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                *(["--cert", cert] if cert else []), "-d", tmp, UV,
            ],
            check=True,
        )  # fmt: skip
        with zipfile.ZipFile(next(Path(tmp).glob("uv-*.whl"))) as z:
            binary = z.read(next(n for n in z.namelist() if n.endswith(".data/scripts/uv")))
    (target / "uv").write_bytes(binary)
    (target / "uv").chmod(0o755)


def dropped(package: str, name: str) -> bool:
    if ".dist-info/" in name:
        return False
    return bool(EVERYWHERE.search(name)) or (package in DROP and DROP[package].match(name) is not None)


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def binutils() -> bool:
    return shutil.which("strip") is not None and shutil.which("readelf") is not None


def strippable(name: str, data: bytes) -> bool:
    """An ELF shared library with symbols to strip that auditwheel did not patch."""
    if not data.startswith(b"\x7fELF") or ".libs/" in name or not binutils():
        return False
    with tempfile.NamedTemporaryFile(suffix=".so") as f:
        f.write(data)
        f.flush()
        dynamic = subprocess.run(["readelf", "-d", f.name], capture_output=True, text=True, check=True)
        sections = subprocess.run(["readelf", "-S", "-W", f.name], capture_output=True, text=True, check=True)
    return "PATH)" not in dynamic.stdout and " .symtab " in sections.stdout


def strip_binary(data: bytes) -> bytes:
    with tempfile.NamedTemporaryFile(suffix=".so") as f:
        f.write(data)
        f.flush()
        subprocess.run(["strip", "--strip-unneeded", f.name], check=True)
        return Path(f.name).read_bytes()


def without_requirements(metadata: bytes, unused: set[str]) -> bytes:
    lines = metadata.decode().splitlines(keepends=True)
    kept = [
        line
        for line in lines
        if not (
            line.startswith("Requires-Dist:")
            and canonicalize_name(Requirement(line.split(":", 1)[1].strip()).name) in unused
        )
    ]
    return "".join(kept).encode()


def slim(wheel: Path, package: str) -> None:
    out = wheel.with_suffix(".slim")
    records: list[str] = []
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        record_name = next(n for n in src.namelist() if n.endswith(".dist-info/RECORD"))
        for info in src.infolist():
            name = info.filename
            if name == record_name or dropped(package, name):
                continue
            data = src.read(name)
            if name.endswith(".dist-info/METADATA") and package in UNUSED_REQUIREMENTS:
                data = without_requirements(data, UNUSED_REQUIREMENTS[package])
            elif strippable(name, data):
                data = strip_binary(data)
            info.compress_size = 0
            dst.writestr(info, data)
            records.append(record_line(name, data))
        records.append(f"{record_name},,")
        dst.writestr(record_name, "\n".join(records) + "\n")
    out.replace(wheel)


def requirements_of(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as z:
        metadata = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA")))
    message = email.parser.BytesParser().parsebytes(metadata, headersonly=True)
    return [Requirement(r) for r in message.get_all("Requires-Dist") or []]


def prune(target: Path) -> None:
    """Remove the wheels that no runtime requirement reaches any more (after the slimming)."""
    wheels = {canonicalize_name(w.name.split("-")[0]): w for w in target.glob("*.whl")}
    lines = (line.split("#")[0].strip() for line in RUNTIME.read_text().splitlines())
    todo = [Requirement(line) for line in lines if line]
    seen: set[tuple[str, str]] = set()  # (package, extra); "" for the package itself
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        for extra in ("", *req.extras):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            todo.extend(
                dep
                for dep in requirements_of(wheels[name])
                if dep.marker is None or dep.marker.evaluate({"extra": extra})
            )
    for name, wheel in wheels.items():
        if (name, "") not in seen:
            wheel.unlink()


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build/wheelhouse")
    stamp = target / ".slimmed"
    want = hashlib.sha256(
        b"".join((ROOT / p).read_bytes() for p in (RUNTIME, ROOT / "requirements/constraints.txt"))
        + Path(__file__).read_bytes()
        + str(binutils()).encode()  # binutils installed later: the libraries get stripped
    ).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return 0
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    download(target)
    fetch_uv(target)
    before = sum(w.stat().st_size for w in target.glob("*.whl"))
    for wheel in sorted(target.glob("*.whl")):
        slim(wheel, canonicalize_name(wheel.name.split("-")[0]))
    prune(target)
    after = sum(w.stat().st_size for w in target.glob("*.whl"))
    print(f"wheelhouse {target}: {before / 1e6:.0f} MB of wheels slimmed to {after / 1e6:.0f} MB")
    stamp.write_text(want)
    return 0


if __name__ == "__main__":
    sys.exit(main())
