#!/usr/bin/python3
"""Writes a C header declaring the text of file IN as a string: NAME's value
is IN's bytes, exactly (the interface definition a Varlink server returns).
Usage: embed-text.py IN OUT NAME"""
import json
import sys

source, target, name = sys.argv[1:4]
text = open(source, encoding="utf-8").read()
with open(target, "w") as f:
    f.write(f"/* Generated from {source.rsplit('/', 1)[-1]} by embed-text.py. */\n")
    # A JSON string of ASCII is a valid C string literal with the same value.
    f.write(f"static const char {name}[] = {json.dumps(text)};\n")
