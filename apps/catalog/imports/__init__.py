"""Bringing a catalog in from a CSV file with the export's columns (see docs/ARCHITECTURE.md).

reading: the file streamed row by row, each row's cells checked; categories: paths like
"Home > Kitchen > Knives" found or created; engine: a file's rows planned and written in
chunks; services: an import's check (dry run), its start and its run, with their progress.
"""
