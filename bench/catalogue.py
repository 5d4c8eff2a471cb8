"""A CISO Assistant library of MEASURES generated measures under the nine chapters of a 対策基準,
each implementing its chapter's clause of the basic policy (6(1)–6(9)), half of the resilience
chapter's the sub-item 6(3)ア instead, and every fifth one a second clause. For the benchmarks.

    python3 bench/catalogue.py MEASURES PATH
"""
import sys
measures, path = int(sys.argv[1]), sys.argv[2]
chapters = ["organisation", "assets", "resilience", "physical", "human", "technical",
            "operations", "outsourcing", "review"]
names = ["組織体制", "情報資産の分類と管理", "情報システム全体の強靱性の向上", "物理的セキュリティ",
         "人的セキュリティ", "技術的セキュリティ", "運用", "業務委託と外部サービスの利用", "評価・見直し"]
base = "urn:mamori-bench:risk:req_node:coverage-200"
out = [
    'urn: "urn:mamori-bench:risk:library:coverage-200"',
    'locale: "ja"',
    'ref_id: "BENCH-COVERAGE"',
    f'name: "ベンチマーク用対策項目（{measures}項目）"',
    'description: "網羅状況の負荷試験のために生成した対策項目。"',
    'version: 1',
    'provider: "mamori bench"',
    'objects:',
    '  framework:',
    '    urn: "urn:mamori-bench:risk:framework:coverage-200"',
    '    ref_id: "BENCH-COVERAGE"',
    f'    name: "ベンチマーク用対策項目（{measures}項目）"',
    '    requirement_nodes:',
]
by_chapter = [[] for _ in chapters]
for i in range(measures):
    by_chapter[i * len(chapters) // measures].append(i)
for c, (code, title) in enumerate(zip(chapters, names)):
    out += [
        f'    - urn: "{base}:{c + 1}"',
        '      assessable: false',
        '      depth: 1',
        f'      ref_id: "{c + 1}"',
        f'      name: "{title}"',
        '      x-mamori:',
        f'        chapter: "{code}"',
        '        applies_to: "all"',
    ]
    for i in by_chapter[c]:
        anchors = [f"6({c + 1})"]
        if code == "resilience" and i % 2 == 0:
            anchors = ["6(3)ア"]
        if i % 5 == 0:
            other = f"6({(c + 1 + i // 5) % 9 + 1})"
            if other not in anchors and other != f"6({c + 1})":
                anchors.append(other)
        out += [
            f'    - urn: "{base}:b-{i + 1:03d}"',
            '      assessable: true',
            '      depth: 2',
            f'      parent_urn: "{base}:{c + 1}"',
            f'      ref_id: "B-{i + 1:03d}"',
            f'      name: "{title}に関する対策 {i + 1}"',
            f'      description: "{title}について、課室ごとに実施状況を確かめる生成された対策項目 {i + 1}。"',
            '      x-mamori:',
            f'        chapter: "{code}"',
            '        applies_to: "all"',
            '        implements:',
        ] + [f'        - "{a}"' for a in anchors]
with open(path, "w", encoding="utf-8") as f:
    f.write("\n".join(out) + "\n")
