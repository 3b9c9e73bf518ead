"""The config app's models: the operations rows of `config.ops` (heartbeats, job timings)."""

from config.ops.models import Heartbeat, TimingBucket

__all__ = ["Heartbeat", "TimingBucket"]
