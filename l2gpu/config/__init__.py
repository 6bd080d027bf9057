"""Hydra configuration: one dataclass schema per config group, registered in the ConfigStore."""

from l2gpu.config.schema import AppConfig, register_configs

__all__ = ["AppConfig", "register_configs"]
