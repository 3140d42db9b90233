"""Fixtures of this test area."""

from tests.support.fixtures import apiserver, fake, kubeconfig

__all__ = ["apiserver", "fake", "kubeconfig"]
