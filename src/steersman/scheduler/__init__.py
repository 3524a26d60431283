"""The scheduler: assigns pods to nodes through the Kubernetes scheduling framework."""
