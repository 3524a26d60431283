"""The kubelet's container-runtime manager (Kubernetes' pkg/kubelet/kuberuntime): turns pods
into CRI sandboxes and containers and reads them back."""
