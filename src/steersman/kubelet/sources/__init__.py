"""Where the kubelet's pods come from: the API server (pods bound to this node) and static
pod manifests on disk. Each source reports its full current set; the pod manager merges them."""
