"""The quest catalog: quest.yaml files validated into typed models. Imports neither pytest, rich nor the store."""

from ugrad_quest.catalog.loader import Catalog, load_catalog, load_quest
from ugrad_quest.catalog.models import FORMAT_VERSION, Quest, Task

__all__ = ["Catalog", "FORMAT_VERSION", "Quest", "Task", "load_catalog", "load_quest"]
