"""The Kubernetes Pod Security Standards: the checks, the Pod view they read, namespace levels."""
