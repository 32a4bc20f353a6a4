"""histar.datagen."""
