"""Map operators: translate concepts through the app's knowledge graph."""
