"""Prepare the container's wheelhouse: the pinned runtime wheels, slimmed.

    python scripts/wheelhouse.py build/wheelhouse

Downloads (on the host, with the host's pip settings and trust store) every wheel the
runtime needs, pinned by requirements/constraints.txt; torch is the CPU build. Then
rewrites wheels without what a CPU inference server never loads, with a correct RECORD:
test suites (torch, sympy, networkx, numpy, ...), torch's C++ headers and test binaries,
transformers' model families other than BERT, phonenumbers' geocoding, carrier and
time-zone data; torch's and uvloop's shared libraries lose their debug symbols when
`strip` is available (only theirs: stripping auditwheel-patched libraries such as numpy's
vendored OpenBLAS breaks them). The container build
installs from this folder over loopback (scripts/container.sh): nothing is downloaded
inside it, so no CA certificate or credential ever enters an image (behind a
TLS-intercepting proxy, set EXTRA_CA_CERTS to the proxy's CA bundle for the host's
downloads, if pip's own settings do not already trust it).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEEP_TRANSFORMERS_MODELS = {"bert", "auto", "encoder_decoder", "__init__.py"}
TESTS = re.compile(r"^[^/]+/(.+/)?tests?/")
DROP = {
    "torch": re.compile(r"^torch/(test|include|share)/|^torch/bin/(?!torch_shm_manager$)"),
    "transformers": re.compile(r"^transformers/models/(?P<family>[^/]+)(/|$)"),
    "phonenumbers": re.compile(r"^phonenumbers/(geodata|carrierdata|tzdata)/"),
}


def download(target: Path) -> None:
    # Behind a TLS-intercepting proxy: EXTRA_CA_CERTS names a CA bundle for these
    # downloads. They happen here, on the host, so the bundle never enters an image.
    cert = os.environ.get("EXTRA_CA_CERTS")
    result = subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--quiet", "--only-binary", ":all:",
            *(["--cert", cert] if cert else []),
            "-r", str(ROOT / "requirements/runtime.txt"),
            "-c", str(ROOT / "requirements/constraints.txt"),
            "-d", str(target),
        ],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"pip download failed ({result.returncode})")


def dropped(package: str, name: str) -> bool:
    if TESTS.match(name) and not name.startswith("torch/testing/"):
        return True
    match = DROP[package].match(name) if package in DROP else None
    if match is None:
        return False
    return package != "transformers" or match["family"] not in KEEP_TRANSFORMERS_MODELS


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def strip_binary(data: bytes) -> bytes:
    if shutil.which("strip") is None:
        return data
    with tempfile.NamedTemporaryFile(suffix=".so") as f:
        f.write(data)
        f.flush()
        subprocess.run(["strip", "--strip-unneeded", f.name], check=True)
        return Path(f.name).read_bytes()


STRIPPED = {"torch", "uvloop"}  # their .so files carry debug symbols (uvloop: 13.6 MB -> 1.6 MB)


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
            if package in STRIPPED and name.endswith(".so"):
                data = strip_binary(data)
            info.compress_size = 0
            dst.writestr(info, data)
            records.append(record_line(name, data))
        records.append(f"{record_name},,")
        dst.writestr(record_name, "\n".join(records) + "\n")
    out.replace(wheel)


def main() -> int:
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build/wheelhouse")
    stamp = target / ".slimmed"
    want = hashlib.sha256(
        b"".join(
            (ROOT / p).read_bytes() for p in ("requirements/runtime.txt", "requirements/constraints.txt")
        )
        + Path(__file__).read_bytes()
        + str(shutil.which("strip") is not None).encode()  # a strip installed later re-slims
    ).hexdigest()
    if stamp.exists() and stamp.read_text() == want:
        return 0
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    download(target)
    before = sum(w.stat().st_size for w in target.glob("*.whl"))
    for wheel in sorted(target.glob("*.whl")):
        package = wheel.name.split("-")[0].lower()
        with zipfile.ZipFile(wheel) as z:
            names = z.namelist()
        if package in STRIPPED or any(dropped(package, n) for n in names):
            slim(wheel, package)
    after = sum(w.stat().st_size for w in target.glob("*.whl"))
    print(f"wheelhouse {target}: {before / 1e6:.0f} MB of wheels slimmed to {after / 1e6:.0f} MB")
    stamp.write_text(want)
    return 0


if __name__ == "__main__":
    sys.exit(main())
