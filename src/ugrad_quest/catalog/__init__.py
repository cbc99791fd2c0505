"""The quest catalog: quest.yaml files validated into typed models. Imports neither pytest, rich nor the store."""

from ugrad_quest.catalog.loader import Catalog, load_catalog, load_quest
from ugrad_quest.catalog.models import FORMAT_VERSION, TIERS, BadgeSpec, Question, Quest, Task

__all__ = ["BadgeSpec", "Catalog", "FORMAT_VERSION", "Question", "Quest", "TIERS", "Task", "load_catalog", "load_quest"]
