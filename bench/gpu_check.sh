#!/usr/bin/env bash
# GPU check, for a machine with an NVIDIA GPU (not runnable on the 2-core CI machine):
# builds the CUDA native engine, then times a ResNet18 training step (CREMA-D audio,
# batch 64, 257x188) on `tensorflow` (tfjs-node-gpu) and on `webgpu`, beside PyTorch CUDA
# when torch sees a GPU. Short: 3 timed steps each. Usage: bash bench/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1

echo "== nvidia-smi"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null ||
  echo "nvidia-smi not found: no NVIDIA driver visible"

echo "== setup-native --gpu (tfjs-node-gpu against the CUDA tensorflow wheel and its nvidia-* wheels)"
npx -y deno task setup-native --gpu || { echo "setup-native --gpu failed"; exit 1; }

step() { # $1 backend
  npx -y deno run -A --v8-flags=--no-liftoff bench/worker.ts --model resnet18 --backend "$1" \
    --steps 3 --warmup 1 --cap-ms 600000 --max-s 120 2>&1 | grep -E '^BENCH|rror' | tail -n 2
}
echo "== ResNet18 b64 step on tensorflow (GPU if TensorFlow found it; see 'backend:' above)"
TF_CPP_MIN_LOG_LEVEL=0 step tensorflow
echo "== ResNet18 b64 step on webgpu"
step webgpu
echo "== PyTorch"
for py in python3 /usr/bin/python3; do
  if "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    "$py" bench/torch_reference.py --models resnet18 --device cuda --steps 3 --warmup 1
    exit 0
  fi
done
echo "PyTorch with CUDA not found (pip install torch): no PyTorch CUDA column"
