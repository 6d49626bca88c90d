"""The model runner: a BentoML service with an adaptive-batching API."""
