#!/usr/bin/python3
"""Regenerates the "regions" list of catalog/default_catalog.json.

Usage: make_regions.py DIVISIONS_DIR CENSUS_CSV CATALOG_JSON

DIVISIONS_DIR contains 2024.txt (GB/T 2260 codes in use in 2024, "code name" per
line) and result.csv (every code since 1981 with its names and status), as
published by the areacodes project (CC0). CENSUS_CSV is the 2010/2020 census
table by prefecture, whose city_code column adds the units that 2024.txt lists
as county level but statistics treat as prefecture level (the city proper of
the four municipalities, and cities administered directly by a province).

The script keeps the catalog's other keys and rewrites "regions" in place:
the nation, the 34 province-level units, every prefecture-level unit in use in
2024, the extra census units, and prefecture-level codes abolished since 1981.
Names a code had before are kept as aliases. An alias that would name two
regions is dropped, and provinces win over prefectures.
"""
import csv
import io
import json
import re
import sys

PROVINCES = {
    # code: (English name, short name, informal names bureaus meet)
    "110000": ("Beijing", "北京", []),
    "120000": ("Tianjin", "天津", []),
    "130000": ("Hebei", "河北", []),
    "140000": ("Shanxi", "山西", []),
    "150000": ("Inner Mongolia", "内蒙古", ["内蒙古省", "内蒙"]),
    "210000": ("Liaoning", "辽宁", []),
    "220000": ("Jilin", "吉林", []),
    "230000": ("Heilongjiang", "黑龙江", []),
    "310000": ("Shanghai", "上海", []),
    "320000": ("Jiangsu", "江苏", []),
    "330000": ("Zhejiang", "浙江", []),
    "340000": ("Anhui", "安徽", []),
    "350000": ("Fujian", "福建", []),
    "360000": ("Jiangxi", "江西", []),
    "370000": ("Shandong", "山东", []),
    "410000": ("Henan", "河南", []),
    "420000": ("Hubei", "湖北", []),
    "430000": ("Hunan", "湖南", []),
    "440000": ("Guangdong", "广东", []),
    "450000": ("Guangxi", "广西", ["广西省"]),
    "460000": ("Hainan", "海南", []),
    "500000": ("Chongqing", "重庆", []),
    "510000": ("Sichuan", "四川", []),
    "520000": ("Guizhou", "贵州", []),
    "530000": ("Yunnan", "云南", []),
    "540000": ("Tibet", "西藏", ["西藏省"]),
    "610000": ("Shaanxi", "陕西", []),
    "620000": ("Gansu", "甘肃", []),
    "630000": ("Qinghai", "青海", []),
    "640000": ("Ningxia", "宁夏", ["宁夏省"]),
    "650000": ("Xinjiang", "新疆", ["新疆省"]),
    "710000": ("Taiwan", "台湾", []),
    "810000": ("Hong Kong", "香港", ["香港特区"]),
    "820000": ("Macao", "澳门", ["澳门特区"]),
}

ETHNIC_GROUPS = sorted(
    "土家 苗 藏 羌 彝 布依 侗 哈尼 壮 傣 白 景颇 傈僳 朝鲜 蒙古 回 哈萨克 柯尔克孜 黎 瑶 水 "
    "纳西 普米 独龙 怒 佤 拉祜 基诺 阿昌 德昂 布朗 撒拉 土 东乡 保安 裕固 锡伯 达斡尔 鄂温克 "
    "鄂伦春 赫哲 仫佬 毛南 仡佬 畲 高山 京 门巴 珞巴 塔吉克 乌孜别克 俄罗斯 塔塔尔 维吾尔 满".split(),
    key=len, reverse=True)


def short_names(name):
    """Returns the informal forms of a prefecture name: 南京市 -> 南京,
    恩施土家族苗族自治州 -> 恩施州 and 恩施, 阿里地区 -> 阿里."""
    forms = []
    if name.endswith("自治州"):
        stem = name[: -len("自治州")]
        changed = True
        while changed:
            changed = False
            for group in ETHNIC_GROUPS:
                if stem.endswith(group + "族"):
                    stem = stem[: -len(group) - 1]
                    changed = True
                    break
        if len(stem) >= 2:
            forms += [stem + "州", stem]
    else:
        for suffix in ("地区", "市", "盟", "林区"):
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                forms.append(name[: -len(suffix)])
                break
    return forms


def main():
    divisions_dir, census_csv, catalog_path = sys.argv[1:4]

    in_use = {}
    with open(f"{divisions_dir}/2024.txt", encoding="utf-8") as f:
        for line in f:
            code, name = line.split()
            in_use[code] = name

    history = {}  # code -> list of (name, status, start, end)
    with open(f"{divisions_dir}/result.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            history.setdefault(row["代码"], []).append(
                (row["名称"], row["级别"], row["状态"], row["启用时间"], row["变更/弃用时间"]))

    with open(census_csv, encoding="utf-8-sig", newline="") as f:
        census = {row["city_code"]: row["city"] for row in csv.DictReader(io.StringIO(f.read()))}

    regions = [{"code": "000000", "name_zh": "全国", "name_en": "China", "level": "national",
                "aliases": ["中国", "全国合计"]}]
    for code, (english, short, informal) in PROVINCES.items():
        name = in_use.get(code) or census.get(code) or {"710000": "台湾省"}[code]
        aliases = [short] + informal
        regions.append({"code": code, "name_zh": name, "name_en": english, "level": "province",
                        "aliases": [a for a in dict.fromkeys(aliases) if a != name]})

    prefecture_codes = {c for c in in_use if re.fullmatch(r"\d\d(?!00)\d\d00", c)}
    prefecture_codes |= {c for c in in_use if re.fullmatch(r"\d\d90\d\d", c)}
    prefecture_codes |= {c for c in census if c[2:] != "0000"}
    for code in sorted(prefecture_codes):
        name = in_use.get(code) or census[code]
        regions.append({"code": code, "name_zh": name, "name_en": "", "level": "prefecture",
                        "aliases": []})

    # Prefecture-level codes abolished since 1981, so older tables still resolve.
    for code, rows in sorted(history.items()):
        if code in prefecture_codes or code[2:] == "0000":
            continue
        prefecture_rows = [r for r in rows if r[1] == "地级" and r[2] == "弃用"]
        if not prefecture_rows:
            continue
        name, _, _, _, end = prefecture_rows[-1]
        regions.append({"code": code, "name_zh": name, "name_en": "", "level": "prefecture",
                        "aliases": [], "abolished": int(end)})

    # Aliases: former names of the same code, then informal short forms.
    taken = {}
    for region in regions:
        taken.setdefault(region["name_zh"], region["code"])
    for region in regions:
        taken_before = set(region["aliases"])
        for alias in region["aliases"]:
            taken.setdefault(alias, region["code"])
        if region["level"] != "prefecture":
            continue
        former = [r[0] for r in history.get(region["code"], []) if r[1] == "地级"]
        candidates = [region["name_zh"]] + former
        forms = []
        for candidate in candidates:
            forms += [candidate] + short_names(candidate)
        for form in dict.fromkeys(forms):
            if form == region["name_zh"] or form in taken_before:
                continue
            if taken.get(form, region["code"]) != region["code"]:
                continue
            taken[form] = region["code"]
            region["aliases"].append(form)

    with open(catalog_path, encoding="utf-8") as f:
        catalog = json.load(f)
    catalog["regions"] = regions
    write_catalog(catalog, catalog_path)


def write_catalog(catalog, path):
    """Writes one indicator per block and one region per line, so diffs stay small."""
    out = io.StringIO()
    out.write("{\n")
    keys = [k for k in catalog if k not in ("indicators", "regions")]
    for key in keys:
        out.write(f"  {json.dumps(key)}: {json.dumps(catalog[key], ensure_ascii=False)},\n")
    out.write('  "indicators": [\n')
    blocks = [json.dumps(i, ensure_ascii=False, indent=2) for i in catalog["indicators"]]
    out.write(",\n".join("    " + b.replace("\n", "\n    ") for b in blocks))
    out.write("\n  ],\n")
    out.write('  "regions": [\n')
    lines = [json.dumps(r, ensure_ascii=False) for r in catalog["regions"]]
    out.write(",\n".join("    " + line for line in lines))
    out.write("\n  ]\n}\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write(out.getvalue())


if __name__ == "__main__":
    main()
