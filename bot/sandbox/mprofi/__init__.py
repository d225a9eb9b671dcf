"""A faithful local mProfi: the spec's endpoints, validation, statuses and webhooks."""

from bot.sandbox.mprofi.app import create_simulator_app
from bot.sandbox.mprofi.state import SimulatorConfig, SimulatorState

__all__ = ["SimulatorConfig", "SimulatorState", "create_simulator_app"]
