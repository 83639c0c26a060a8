"""Concept linking beyond the shipped component (bioner/components/linker.py):
building its knowledge base from the MeSH vocabulary asset (kb.py) and
scoring it (bioner/evaluation/linking.py)."""
