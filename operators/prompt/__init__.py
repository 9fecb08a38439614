"""Prompt operators: prompter and rag-prompter."""
