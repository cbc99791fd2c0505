"""Persistence. Import ugrad_quest.store.db (SQLModel) only in commands that need it; quick_reads is stdlib only."""
