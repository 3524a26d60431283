"""Scheduler plugins, one module per Kubernetes plugin name (NodeResourcesFit →
node_resources_fit.py); `registry.py` maps names to them."""
