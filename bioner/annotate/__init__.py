"""Annotating collections: run a trained pipeline over PubMed/MEDLINE XML,
BioC XML, JSONL or folders of .txt files and write the entities as JSONL,
PubTator, BioC XML or DocBin shards, one shard per input file.

`readers` turn inputs into records and count bad ones, `records` holds the
record layout and per-file reports, `writers` write a shard atomically,
`shard` annotates one input into one shard (shared by both runners), `local`
runs on this machine (one process or `n_process`), `ray_runner` on Ray Data.
"""
