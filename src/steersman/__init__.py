"""steersman: Kubernetes, written in Python."""

__version__ = "0.1.0"
# The Kubernetes API level this release serves (DESIGN §1).
KUBERNETES_VERSION = "v1.36.0"
GIT_VERSION = f"{KUBERNETES_VERSION}+steersman"
