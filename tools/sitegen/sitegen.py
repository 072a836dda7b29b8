#!/usr/bin/env python3
"""Generates the sample municipal web site of みどり野市 that imi's crawler
tests, benchmark and demo run against (served by siteserver.py).

    sitegen.py OUT_DIR [--variant 1|2]

Writes OUT_DIR/site/ (the files) and OUT_DIR/site.json (the manifest: every
page's expected outcome, charset, content lines and boilerplate lines, plus
what the server does specially: redirects, a loop, a huge page, a slow page,
410s, one-time 429/503 answers). Variant 2 is the same site a while later:
five pages changed, three deleted but still linked (404), one 410, two
removed from the sitemap, three new pages. Deterministic: the same variant
gives the same bytes."""

import argparse
import gzip
import html
import json
import os
import random
import shutil
import zlib

from content import (CITY, DISTRICTS, HEADINGS, ITEMS, NEWS_TITLES, PLACES, SECTIONS, SENTENCES, WEEKDAYS)

HTTP_DATE_1 = "Mon, 02 Mar 2026 09:00:00 GMT"
HTTP_DATE_2 = "Wed, 01 Apr 2026 09:00:00 GMT"


def rng_for(path):
    return random.Random(zlib.crc32(path.encode("utf-8")))


def sentence(rng, topic, dept):
    template = rng.choice(SENTENCES)
    item = rng.choice(ITEMS)
    return template.format(
        topic=topic, dept=dept, place=rng.choice(PLACES), district=rng.choice(DISTRICTS),
        weekday=rng.choice(WEEKDAYS), h1=rng.choice([8, 9]), h2=rng.choice([4, 5]), item=item,
        item2=rng.choice([i for i in ITEMS if i != item]), fee=rng.choice([200, 300, 350, 400, 500]),
        fee2=rng.choice([84, 94, 110, 140]), year=rng.choice([2024, 2025, 2026]),
        tel1=rng.randint(10, 99), tel2=rng.randint(1000, 9999), age=rng.choice([18, 20, 40, 65, 75]),
        month=rng.randint(1, 12), day=rng.randint(1, 28), reiwa=rng.choice([7, 8]),
        fee3=rng.choice([10000, 20000, 50000, 100000]), count=rng.randint(50, 5000))


def body_lines(path, topic, dept, n_paragraphs=4):
    """Main content blocks: (tag, text) pairs, each line unique to the page."""
    rng = rng_for(path)
    blocks = []
    used = set()

    def fresh():
        for _ in range(50):
            s = sentence(rng, topic, dept)
            if s not in used:
                used.add(s)
                return s
        s = sentence(rng, topic, dept) + "（{}）".format(len(used))
        used.add(s)
        return s

    # The first paragraph names the page, so every page's text is distinct.
    blocks.append(("p", "このページでは{}について、{}の案内をまとめています（番号{}）。".format(
        topic, CITY, zlib.crc32(path.encode()) % 100000)))
    for i in range(n_paragraphs):
        if i > 0:
            blocks.append(("h2", HEADINGS[(zlib.crc32(path.encode()) + i) % len(HEADINGS)]))
        blocks.append(("p", fresh() + fresh()))
        if rng.random() < 0.5:
            blocks.append(("li", fresh()))
            blocks.append(("li", fresh()))
    return blocks


class Site:
    def __init__(self, variant):
        self.variant = variant
        self.pages = []        # manifest entries of HTML/text pages
        self.files = {}        # path -> {file, content_type, last_modified, template?, gzip?}
        self.bytes = {}        # file -> bytes
        self.redirects = {}
        self.gone = []
        self.slow = {}
        self.huge = []
        self.flaky = {}
        self.outcomes = {}     # path -> expected outcome for pages not stored
        self.sitemap = []      # paths in sitemap-pages.xml
        self.news_sitemap = []
        self.section_children = {}

    def add_file(self, path, data, content_type, last_modified=HTTP_DATE_1, **extra):
        name = path.lstrip("/")
        if name.endswith("/") or name == "":
            name += "index.html"
        self.bytes[name] = data
        entry = {"file": name, "content_type": content_type, "last_modified": last_modified}
        entry.update(extra)
        self.files[path] = entry


def nav_html():
    items = "".join('<li><a href="/{}/">{}</a></li>'.format(seg, name) for seg, name, _, _ in SECTIONS)
    return '<nav id="tmp_gnavi"><ul>{}</ul></nav>'.format(items)


MODERN_HEADER_BOILER = ["本文へ移動", "みどり野市 Midorino City", "サイトマップ", "Foreign Language",
                        "市役所へのアクセス", "文字サイズ 標準 拡大"]
MODERN_FOOTER_BOILER = ["みどり野市役所 〒190-0000 東京都みどり野市中央1-1-1 電話：0428-00-0000（代表）",
                        "開庁時間：月曜日から金曜日 午前8時30分から午後5時15分",
                        "Copyright © Midorino City. All rights reserved.", "ページの先頭へ戻る",
                        "広報みどり野", "ふるさと納税のご案内", "職員採用情報"]


def render_modern(page, blocks, related, siblings, extra_head="", extra_main="", style=0):
    """A page of the city's CMS (style 0) or its newer HTML5 template (style 1)."""
    sec, sec_name = page["section"], page["section_name"]
    esc = html.escape
    main = ["<h1>{}</h1>".format(esc(page["h1"]))]
    in_list = False
    for tag, text in blocks:
        if tag == "li" and not in_list:
            main.append("<ul>")
            in_list = True
        if tag != "li" and in_list:
            main.append("</ul>")
            in_list = False
        main.append("<{0}>{1}</{0}>".format(tag, esc(text)))
    if in_list:
        main.append("</ul>")
    main.append(extra_main)
    rel = ""
    if related:
        rel = '<div class="related"><h2>関連リンク</h2><ul>{}</ul></div>'.format(
            "".join('<li><a href="{}">{}</a></li>'.format(esc(href), esc(t)) for href, t in related))
    contact = ('<div class="contact"><h2>このページに関するお問い合わせ</h2><p>{}　電話：0428-00-{:04d}</p></div>'
               .format(page["dept"], zlib.crc32(sec.encode()) % 10000))
    side = '<aside id="tmp_lnavi"><h2>{}</h2><ul>{}</ul></aside>'.format(
        esc(sec_name), "".join('<li><a href="{}">{}</a></li>'.format(esc(h), esc(t)) for h, t in siblings))
    banner = ('<div class="bnr_area"><ul><li><a href="/shisei/koho.html">広報みどり野</a></li>'
              '<li><a href="/shisei/furusato.html">ふるさと納税のご案内</a></li>'
              '<li><a href="/shisei/saiyo.html">職員採用情報</a></li></ul></div>')
    canonical = ('<link rel="canonical" href="{}">'.format(esc(page["canonical_href"]))
                 if page.get("canonical_href") else "")
    head = ('<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="UTF-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<title>{title}｜{city}</title>\n<meta name="description" content="{desc}">\n{canonical}\n'
            '<link rel="stylesheet" href="/css/style.css">\n<script>window.dataLayer = window.dataLayer || [];'
            ' if (1 < 2) {{ dataLayer.push({{"page": "{path}"}}); }}</script>\n{extra}</head>\n').format(
                title=esc(page["title"]), city=CITY, desc=esc(page["description"]), canonical=canonical,
                path=esc(page["path"]), extra=extra_head)
    crumbs = ('<div id="tmp_pankuzu"><a href="/">ホーム</a> &gt; <a href="/{}/">{}</a> &gt; {}</div>'
              .format(sec, esc(sec_name), esc(page["h1"])))
    if style == 0:
        body = ('<body>\n<div id="tmp_wrapper">\n<p class="skip"><a href="#tmp_contents">本文へ移動</a></p>\n'
                '<div id="tmp_header">\n<p id="tmp_logo"><a href="/">みどり野市 Midorino City</a></p>\n'
                '<ul id="tmp_hnavi"><li><a href="/sitemap.html">サイトマップ</a></li>'
                '<li><a href="/foreign.html">Foreign Language</a></li>'
                '<li><a href="/access.html">市役所へのアクセス</a></li></ul>\n<p class="utility">文字サイズ 標準 拡大</p>\n'
                '<form action="/search" role="search"><label>サイト内検索 <input name="q"></label>'
                '<button>検索</button></form>\n</div>\n{nav}\n{crumbs}\n'
                '<div id="tmp_contents">\n{main}\n{rel}\n{contact}\n</div>\n{side}\n{banner}\n'
                '<div id="tmp_footer"><p>みどり野市役所　〒190-0000 東京都みどり野市中央1-1-1　電話：0428-00-0000（代表）</p>'
                '<p>開庁時間：月曜日から金曜日 午前8時30分から午後5時15分</p>'
                '<p>Copyright &copy; Midorino City. All rights reserved.</p></div>\n'
                '<p class="pagetop"><a href="#tmp_wrapper">ページの先頭へ戻る</a></p>\n</div>\n</body>\n</html>\n')
    else:
        body = ('<body>\n<a class="skip" href="#main">本文へ移動</a>\n'
                '<header>\n<p><a href="/">みどり野市 Midorino City</a></p>\n'
                '<ul><li><a href="/sitemap.html">サイトマップ</a></li><li><a href="/foreign.html">Foreign Language</a></li>'
                '<li><a href="/access.html">市役所へのアクセス</a></li></ul>\n<p>文字サイズ 標準 拡大</p>\n</header>\n'
                '{nav}\n{crumbs}\n<main id="main">\n<article>\n{main}\n{contact}\n</article>\n{rel}\n</main>\n{side}\n'
                '{banner}\n<footer><p>みどり野市役所　〒190-0000 東京都みどり野市中央1-1-1　電話：0428-00-0000（代表）</p>'
                '<p>開庁時間：月曜日から金曜日 午前8時30分から午後5時15分</p>'
                '<p>Copyright &copy; Midorino City. All rights reserved.</p>\n'
                '<p><a href="#">ページの先頭へ戻る</a></p></footer>\n</body>\n</html>\n')
    text = head + body.format(nav=nav_html(), crumbs=crumbs, main="\n".join(main), rel=rel, contact=contact,
                              side=side, banner=banner)
    content = [page["h1"]] + [t for _, t in blocks] + ["このページに関するお問い合わせ",
                                                       "{}　電話：0428-00-{:04d}".format(page["dept"], zlib.crc32(sec.encode()) % 10000)]
    boiler = list(MODERN_HEADER_BOILER) + list(MODERN_FOOTER_BOILER) + [t for _, t in related] + \
        [t for _, t in siblings] + ["ホーム > {} > {}".format(sec_name, page["h1"])] + \
        [name for _, name, _, _ in SECTIONS]
    if related:
        boiler.append("関連リンク")
    return text, content, boiler


def render_legacy(page, blocks, encoding, declare):
    """A page of the old CMS: table layout, no landmarks, a legacy charset."""
    esc = html.escape
    charset_label = {"cp932": "Shift_JIS", "euc_jp": "EUC-JP", "iso2022_jp": "ISO-2022-JP", "utf-8": "UTF-8"}[encoding]
    meta = ""
    if declare == "meta":
        meta = '<meta http-equiv="Content-Type" content="text/html; charset={}">'.format(charset_label)
    elif declare == "meta-wrong":
        meta = '<meta charset="Shift_JIS">'
    paragraphs = "\n".join("<{0}>{1}</{0}>".format("p" if t != "h2" else "h2", esc(x)) for t, x in blocks)
    text = ('<html>\n<head>\n{meta}\n<title>{title}</title>\n</head>\n<body bgcolor="#ffffff">\n'
            '<table width="100%" border="0">\n<tr><td colspan="2"><img src="/img/logo.gif" alt="みどり野市公式ホームページ">'
            '</td></tr>\n<tr><td class="menu" width="180" valign="top">\n<a href="/">トップページ</a><br>\n'
            '<a href="/archive/">過去のお知らせ</a><br>\n<a href="/kurashi/">くらし・手続き</a><br>\n'
            '<a href="/kanko/">観光・文化</a><br>\n</td>\n<td valign="top">\n<h2>{h1}</h2>\n{paragraphs}\n</td></tr>\n'
            '<tr><td colspan="2"><hr>{footer}</td></tr>\n</table>\n</body>\n</html>\n').format(
                meta=meta, title=esc(page["title"]), h1=esc(page["h1"]), paragraphs=paragraphs,
                footer="みどり野市役所 総務課 文書係")
    content = [page["h1"]] + [x for _, x in blocks]
    boiler = ["トップページ", "過去のお知らせ", "くらし・手続き", "観光・文化", "みどり野市役所 総務課 文書係"]
    data = text.encode(encoding)
    if declare == "bom":
        data = b"\xef\xbb\xbf" + data
    return data, content, boiler, charset_label


def build(variant):
    site = Site(variant)
    section_pages = {}
    changed = set()
    deleted = set()
    # --- regular pages of every section --------------------------------------
    for sec, sec_name, dept, topics in SECTIONS:
        if sec == "news":
            continue
        pages = []
        for i, topic in enumerate(topics):
            path = "/{}/{}-{:02d}.html".format(sec, sec, i + 1)
            if sec == "kurashi" and i == 0:
                path = "/kurashi/gomi.html"
            pages.append((path, topic))
        if variant == 2 and sec == "kosodate":
            for j, topic in enumerate(["子育て応援アプリ", "おむつ用品の支給", "多胎児家庭の支援"]):
                pages.append(("/kosodate/new-{:02d}.html".format(j + 1), topic))
        section_pages[sec] = (sec_name, dept, pages)
    # Variant 2: which pages changed, were deleted (still linked: 404) or became 410.
    if variant == 2:
        changed = {p for p, _ in section_pages["kurashi"][2][1:6]}
        deleted = {p for p, _ in section_pages["kenko"][2][0:3]}
        site.gone.append(section_pages["kenko"][2][3][0])
    orphans = ["/shisei/keikaku-{:02d}.html".format(i) for i in range(1, 6)]
    dropped_from_sitemap = set(orphans[:2]) if variant == 2 else set()

    for sec, (sec_name, dept, pages) in section_pages.items():
        for idx, (path, topic) in enumerate(pages):
            if path in deleted:
                site.outcomes[path] = "gone"
                continue
            if path in site.gone:
                site.outcomes[path] = "gone"
                continue
            blocks = body_lines(path, topic, dept)
            if path in changed:
                blocks.append(("p", "令和8年4月1日から{}の受付場所が{}に変わりました。".format(topic, PLACES[idx % len(PLACES)])))
            siblings = [(p, t) for p, t in pages if p != path][:6]
            related = [(p, t) for p, t in pages[idx + 1:idx + 4]] if idx % 3 == 0 else []
            page = {"path": path, "section": sec, "section_name": sec_name, "dept": dept, "h1": topic,
                    "title": topic, "description": "{}の{}に関する案内です。".format(CITY, topic)}
            extra_main = ""
            if path == "/kurashi/gomi.html":
                # Duplicate URLs: the same page with a query string (canonical),
                # and fragment links.
                page["canonical_href"] = "/kurashi/gomi.html"
                extra_main = ('<p>収集日は<a href="/kurashi/gomi.html#calendar">収集カレンダー</a>と'
                              '<a href="/kurashi/kurashi-39.html">ごみ収集カレンダーのページ</a>でご確認ください。</p>')
                blocks.append(("p", "収集日は収集カレンダーとごみ収集カレンダーのページでご確認ください。"))
            style = 1 if idx % 4 == 3 else 0
            text, content, boiler = render_modern(page, blocks, related, siblings, extra_main=extra_main, style=style)
            if path == "/kurashi/gomi.html":
                content = [c for c in content if c != "収集日は収集カレンダーとごみ収集カレンダーのページでご確認ください。"]
                content.append("収集日は収集カレンダーとごみ収集カレンダーのページでご確認ください。")
            lm = HTTP_DATE_2 if path in changed else HTTP_DATE_1
            site.add_file(path, text.encode("utf-8"), "text/html; charset=UTF-8", lm)
            site.pages.append({"path": path, "section": sec, "title": topic + "｜" + CITY, "charset": "UTF-8",
                               "charset_source": "header", "content": content, "boilerplate": boiler,
                               "expect": "stored", "document": path})
            if not (sec == "event" and idx % 2 == 1):  # some pages are reachable by links only
                site.sitemap.append(path)
    # --- section index pages: link lists, which are navigation -----------------
    top_links = []
    for sec, sec_name, dept, topics in SECTIONS:
        path = "/{}/".format(sec)
        if sec == "news":
            entries = [("/news/{:03d}.html".format(i + 1), t) for i, t in enumerate(NEWS_TITLES)]
        else:
            entries = [(p, t) for p, t in section_pages[sec][2]]
        intro = "{}の{}に関するページの一覧です。".format(CITY, sec_name)
        links = "".join('<li><a href="{}">{}</a></li>'.format(html.escape(p), html.escape(t)) for p, t in entries)
        if sec == "kurashi":
            links += ('<li><a href="/kurashi/gomi.html?from=index">ごみの出し方（特集）</a></li>'
                      '<li><a href="/kurashi/missing.html">廃止された手続き</a></li>'
                      '<li><a href="/kurashi/old-gomi.html">旧ごみ案内</a></li>'
                      '<li><a href="/kurashi/gomi-calendar.txt">収集日程（テキスト版）</a></li>')
        if sec == "shisei":
            links += ('<li><a href="/shisei/yosan.pdf">予算書（PDF）</a></li>'
                      '<li><a href="/shisei/draft.html">検討中の計画（案）</a></li>'
                      '<li><a href="/loop/a.html">移転したページ</a></li>'
                      '<li><a href="/chain/1.html">古いリンク</a></li>'
                      '<li><a href="/external.html">外部の案内</a></li>')
        if sec == "event":
            links += ('<li><a href="/event/slow.html">混雑状況（更新に時間がかかります）</a></li>'
                      '<li><a href="/event/matsuri.html">みどり野まつり</a></li>')
        if sec == "bousai":
            links += ('<li><a href="/bousai/map.html">防災マップ</a></li>'
                      '<li><a href="/bousai/hinanjo-old.html">旧避難所一覧</a></li>')
        if sec == "news":
            links += '<li><a href="/news/huge.html">議事録全文</a></li>'
        body = ('<!DOCTYPE html>\n<html lang="ja"><head><meta charset="UTF-8"><title>{name}｜{city}</title>'
                '</head>\n<body>\n<div id="tmp_header"><p><a href="/">みどり野市 Midorino City</a></p></div>\n{nav}\n'
                '<div id="tmp_contents">\n<h1>{name}</h1>\n<p>{intro}</p>\n<ul>{links}</ul>\n</div>\n'
                '<div id="tmp_footer"><p>みどり野市役所</p></div>\n</body></html>\n').format(
                    name=html.escape(sec_name), city=CITY, nav=nav_html(), intro=intro, links=links)
        site.add_file(path, body.encode("utf-8"), "text/html; charset=UTF-8")
        site.pages.append({"path": path, "section": sec, "title": sec_name + "｜" + CITY, "charset": "UTF-8",
                           "charset_source": "header", "content": [sec_name, intro],
                           "boilerplate": [t for _, t in entries if t not in (sec_name, intro)],
                           "expect": "stored", "document": path})
        site.sitemap.append(path)
        top_links.append((path, sec_name))
    # kanko/index.html is the same page as /kanko/ (canonical).
    kanko = site.bytes["kanko/index.html"].decode("utf-8").replace(
        "<title>", '<link rel="canonical" href="/kanko/"><title>', 1)
    site.bytes["kanko/index.html"] = kanko.encode("utf-8")
    # --- news: listed in the gzip-compressed news sitemap ----------------------
    for i, title in enumerate(NEWS_TITLES):
        path = "/news/{:03d}.html".format(i + 1)
        page = {"path": path, "section": "news", "section_name": "お知らせ", "dept": "秘書広報課", "h1": title,
                "title": title, "description": title}
        blocks = body_lines(path, title, "秘書広報課", n_paragraphs=2)
        text, content, boiler = render_modern(page, blocks, [], [], style=i % 2)
        site.add_file(path, text.encode("utf-8"), "text/html; charset=UTF-8")
        site.pages.append({"path": path, "section": "news", "title": title + "｜" + CITY, "charset": "UTF-8",
                           "charset_source": "header", "content": content, "boilerplate": boiler,
                           "expect": "stored", "document": path})
        site.news_sitemap.append(path)
    # --- orphans: only the sitemap leads to them -------------------------------
    for i, path in enumerate(orphans):
        topic = "第{}次行政計画の資料".format(i + 1)
        page = {"path": path, "section": "shisei", "section_name": "市政情報", "dept": "企画課", "h1": topic,
                "title": topic, "description": topic}
        blocks = body_lines(path, topic, "企画課", n_paragraphs=2)
        text, content, boiler = render_modern(page, blocks, [], [])
        site.add_file(path, text.encode("utf-8"), "text/html; charset=UTF-8")
        if path in dropped_from_sitemap:
            site.outcomes[path] = "vanished"
        else:
            site.sitemap.append(path)
            site.pages.append({"path": path, "section": "shisei", "title": topic + "｜" + CITY, "charset": "UTF-8",
                               "charset_source": "header", "content": content, "boilerplate": boiler,
                               "expect": "stored", "document": path})
    # --- legacy pages in Japanese charsets --------------------------------------
    legacy = []
    for i in range(16):
        declare = ["header", "meta", "none"][i % 3] if i < 15 else "meta"
        legacy.append(("/archive/{:03d}.html".format(i + 1), "cp932", declare))
    legacy += [("/old/euc-{}.html".format(i + 1), "euc_jp", "meta" if i < 2 else "none") for i in range(3)]
    legacy += [("/old/jis-{}.html".format(i + 1), "iso2022_jp", "meta" if i < 2 else "none") for i in range(3)]
    legacy += [("/old/bom.html", "utf-8", "bom"), ("/old/utf8-declared-sjis.html", "utf-8", "meta-wrong"),
               ("/old/bom-header-sjis.html", "utf-8", "bom-header-wrong")]
    archive_links = []
    for i, (path, encoding, declare) in enumerate(legacy):
        topic = "{}年度の{}".format(2010 + i % 12, NEWS_TITLES[(i * 7) % len(NEWS_TITLES)].replace("の", "に関する", 1))
        page = {"path": path, "title": topic, "h1": topic}
        blocks = [(t if t == "h2" else "p", x) for t, x in body_lines(path, topic, "総務課", n_paragraphs=2)]
        data, content, boiler, label = render_legacy(page, blocks, encoding,
                                                     "bom" if declare.startswith("bom") else declare)
        if declare == "header":
            ctype = "text/html; charset=Shift_JIS" if encoding == "cp932" else "text/html; charset=" + label
        elif declare == "bom-header-wrong":
            ctype = "text/html; charset=Shift_JIS"
        else:
            ctype = "text/html"
        source = {"header": "header", "meta": "meta", "none": "detected", "bom": "bom", "meta-wrong": "detected",
                  "bom-header-wrong": "bom"}[declare]
        sec = path.split("/")[1]
        site.add_file(path, data, ctype)
        site.pages.append({"path": path, "section": sec, "title": topic, "charset": label if label != "UTF-8" else "UTF-8",
                           "charset_source": source, "content": content, "boilerplate": boiler,
                           "expect": "stored", "document": path, "legacy": True})
        archive_links.append((path, topic))
    # Plain text pages.
    calendar = "ごみ収集日程（テキスト版）\n燃やすごみ　月曜日と木曜日\n資源ごみ　水曜日\n粗大ごみ　申し込み制\n"
    site.add_file("/kurashi/gomi-calendar.txt", calendar.encode("utf-8"), "text/plain; charset=UTF-8")
    site.pages.append({"path": "/kurashi/gomi-calendar.txt", "section": "kurashi", "title": "ごみ収集日程（テキスト版）",
                       "charset": "UTF-8", "charset_source": "header", "content": calendar.strip().split("\n"),
                       "boilerplate": [], "expect": "stored", "document": "/kurashi/gomi-calendar.txt"})
    notice = "旧庁舎の閉鎖について\n旧庁舎は平成三十年三月で閉鎖しました。\n現在の窓口は市役所本庁舎です。\n"
    site.add_file("/archive/notice.txt", notice.encode("cp932"), "text/plain")
    site.pages.append({"path": "/archive/notice.txt", "section": "archive", "title": "旧庁舎の閉鎖について",
                       "charset": "Shift_JIS", "charset_source": "detected", "content": notice.strip().split("\n"),
                       "boilerplate": [], "expect": "stored", "document": "/archive/notice.txt"})
    archive_links.append(("/archive/notice.txt", "旧庁舎の閉鎖について"))
    # The archive index (Shift_JIS, declared in the header) links the legacy pages.
    links = "".join('<li><a href="{}">{}</a></li>'.format(p, html.escape(t)) for p, t in archive_links)
    archive_index = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">'
                     '<title>過去のお知らせ</title></head><body><h1>過去のお知らせ</h1>'
                     '<p>以前のホームページに掲載していたお知らせです。</p><ul>{}</ul></body></html>').format(links)
    site.add_file("/archive/", archive_index.encode("cp932"), "text/html")
    site.pages.append({"path": "/archive/", "section": "archive", "title": "過去のお知らせ", "charset": "Shift_JIS",
                       "charset_source": "meta", "content": ["過去のお知らせ", "以前のホームページに掲載していたお知らせです。"],
                       "boilerplate": [], "expect": "stored", "document": "/archive/"})
    # --- robots.txt-disallowed section, with an allowed exception ---------------
    for name in ["index.html", "users.html", "settings.html", "public/info.html"]:
        path = "/admin/" + name
        topic = "職員用ページ" if not name.startswith("public") else "公開している職員向け案内"
        page = {"path": path, "section": "admin", "section_name": "職員用", "dept": "情報政策課", "h1": topic,
                "title": topic, "description": topic}
        text, content, boiler = render_modern(page, body_lines(path, topic, "情報政策課", 1), [], [])
        site.add_file(path, text.encode("utf-8"), "text/html; charset=UTF-8")
        if name.startswith("public"):
            site.pages.append({"path": path, "section": "admin", "title": topic + "｜" + CITY, "charset": "UTF-8",
                               "charset_source": "header", "content": content, "boilerplate": boiler,
                               "expect": "stored", "document": path})
        elif name == "index.html":
            site.outcomes["/admin/"] = "disallowed"  # the only /admin/ URL the site links
    # --- special URLs -----------------------------------------------------------
    site.redirects["/kurashi/old-gomi.html"] = [301, "/kurashi/gomi.html"]
    site.redirects["/loop/a.html"] = [302, "/loop/b.html"]
    site.redirects["/loop/b.html"] = [302, "/loop/a.html"]
    for i in range(1, 9):
        site.redirects["/chain/{}.html".format(i)] = [301, "/chain/{}.html".format(i + 1)]
    site.redirects["/bousai/hinanjo-old.html"] = [301, "/bousai/hinanjo.html"]
    site.redirects["/external.html"] = [302, "https://www.example.org/midorino/"]
    site.outcomes.update({"/kurashi/old-gomi.html": "redirect", "/loop/a.html": "redirect",
                          "/loop/b.html": "redirect_loop", "/external.html": "redirect_out_of_scope",
                          "/kurashi/missing.html": "gone", "/shisei/yosan.pdf": "skipped_type",
                          "/shisei/draft.html": "noindex", "/event/slow.html": "failed",
                          "/news/huge.html": "too_large"})
    for i in range(1, 6):
        site.outcomes["/chain/{}.html".format(i)] = "redirect"
    site.outcomes["/chain/6.html"] = "too_many_redirects"
    hinanjo = {"path": "/bousai/hinanjo.html", "section": "bousai", "section_name": "防災・安全", "dept": "防災安全課",
               "h1": "新しい避難所一覧", "title": "新しい避難所一覧", "description": "避難所"}
    text, content, boiler = render_modern(hinanjo, body_lines("/bousai/hinanjo.html", "新しい避難所一覧", "防災安全課"),
                                          [], [])
    site.add_file("/bousai/hinanjo.html", text.encode("utf-8"), "text/html; charset=UTF-8")
    site.pages.append({"path": "/bousai/hinanjo.html", "section": "bousai", "title": "新しい避難所一覧｜" + CITY,
                       "charset": "UTF-8", "charset_source": "header", "content": content, "boilerplate": boiler,
                       "expect": "stored", "document": "/bousai/hinanjo.html"})
    for path, title, status in [("/event/matsuri.html", "みどり野まつり", 429), ("/bousai/map.html", "防災マップ", 503)]:
        sec = path.split("/")[1]
        page = {"path": path, "section": sec, "section_name": sec, "dept": "市民活動課", "h1": title, "title": title,
                "description": title}
        text, content, boiler = render_modern(page, body_lines(path, title, "市民活動課"), [], [])
        site.add_file(path, text.encode("utf-8"), "text/html; charset=UTF-8")
        site.flaky[path] = [status, 1 if status == 429 else None]
        site.pages.append({"path": path, "section": sec, "title": title + "｜" + CITY, "charset": "UTF-8",
                           "charset_source": "header", "content": content, "boilerplate": boiler,
                           "expect": "stored", "document": path})
    site.add_file("/shisei/yosan.pdf", b"%PDF-1.4\n% sample\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",
                  "application/pdf")
    draft = ('<!DOCTYPE html><html lang="ja"><head><meta charset="UTF-8"><meta name="robots" content="noindex">'
             '<title>検討中の計画（案）</title></head><body><main><h1>検討中の計画（案）</h1>'
             '<p>この計画案は検討中のため、検索の対象外です。</p></main></body></html>')
    site.add_file("/shisei/draft.html", draft.encode("utf-8"), "text/html; charset=UTF-8")
    slow = ('<!DOCTYPE html><html lang="ja"><head><meta charset="UTF-8"><title>混雑状況</title></head>'
            '<body><main><h1>混雑状況</h1><p>このページは応答に時間がかかります。</p></main></body></html>')
    site.add_file("/event/slow.html", slow.encode("utf-8"), "text/html; charset=UTF-8")
    site.slow["/event/slow.html"] = 5.0
    site.huge.append("/news/huge.html")
    # --- the top page: links everywhere, plus duplicates and other hosts -------
    top_main = "".join('<li><a href="{}">{}</a></li>'.format(p, html.escape(t)) for p, t in top_links)
    top = ('<!DOCTYPE html>\n<html lang="ja"><head><meta charset="UTF-8"><title>{city}公式ホームページ</title>'
           '<meta name="description" content="{city}の公式ホームページです。"></head>\n<body>\n'
           '<div id="tmp_header"><p><a href="/">みどり野市 Midorino City</a></p></div>\n{nav}\n'
           '<div id="tmp_contents">\n<h1>{city}公式ホームページ</h1>\n'
           '<p>{city}は東京都の西部にある、人口およそ五万人のまちです。</p>\n'
           '<p>市役所の開庁時間は平日の午前8時30分から午後5時15分までです。</p>\n'
           '<ul>{main}</ul>\n'
           '<p><a href="/kurashi/gomi.html#top">ごみの出し方</a>と<a href="/kurashi/gomi.html?from=top">ごみ特集</a>、'
           '<a href="/archive/">過去のお知らせ</a>、<a href="/admin/">職員用ページ</a>、'
           '<a href="/admin/public/info.html">職員向け案内</a>、<a href="/old/euc-1.html">旧ページ</a>も'
           'ご覧ください。</p>\n'
           '<p>近隣の<a href="https://www.example.org/">県のホームページ</a>と'
           '<a href="{{{{OTHER_ORIGIN}}}}/kurashi/gomi.html">別のホスト名</a>、'
           '<a href="mailto:info@example.org">メール</a>、<a href="javascript:void(0)">印刷</a>。</p>\n'
           '</div>\n<div id="tmp_footer"><p>みどり野市役所</p></div>\n</body></html>\n').format(
               city=CITY, nav=nav_html(), main=top_main)
    site.add_file("/", top.encode("utf-8"), "text/html; charset=UTF-8", template=True)
    site.pages.append({"path": "/", "section": "", "title": CITY + "公式ホームページ", "charset": "UTF-8",
                       "charset_source": "header",
                       "content": [CITY + "公式ホームページ", CITY + "は東京都の西部にある、人口およそ五万人のまちです。",
                                   "市役所の開庁時間は平日の午前8時30分から午後5時15分までです。"],
                       "boilerplate": [name for _, name in top_links], "expect": "stored", "document": "/"})
    site.sitemap.insert(0, "/")
    # Links to the legacy EUC-JP/ISO-2022-JP pages from /old/euc-1.html onwards.
    old_links = "".join('<a href="{}">{}</a>'.format(p, "次") for p, _, _ in legacy if p.startswith("/old/"))
    for path, encoding, declare in legacy:
        if path == "/old/euc-1.html":
            f = site.files[path]["file"]
            raw = site.bytes[f].decode("euc_jp").replace("</td></tr>\n<tr><td colspan", "<p>{}</p></td></tr>\n<tr><td colspan".format(old_links), 1)
            site.bytes[f] = raw.encode("euc_jp")
    # --- robots.txt and sitemaps (templates: the server writes its origin) ------
    robots = ("# robots.txt of the sample city\nUser-agent: *\nDisallow: /admin/\nAllow: /admin/public/\n"
              "Disallow: /search\n{{CRAWL_DELAY}}\n\nUser-agent: BadBot\nDisallow: /\n\n"
              "Sitemap: {{ORIGIN}}/sitemap_index.xml\n")
    site.add_file("/robots.txt", robots.encode("utf-8"), "text/plain; charset=UTF-8", template=True)
    index = ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
             '<sitemap><loc>{{ORIGIN}}/sitemap-pages.xml</loc></sitemap>\n'
             '<sitemap><loc>{{ORIGIN}}/sitemap-news.xml.gz</loc></sitemap>\n</sitemapindex>\n')
    site.add_file("/sitemap_index.xml", index.encode("utf-8"), "application/xml", template=True)
    urlset = lambda paths: ('<?xml version="1.0" encoding="UTF-8"?>\n'
                            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' +
                            "".join("<url><loc>{{{{ORIGIN}}}}{}</loc><lastmod>2026-03-02</lastmod></url>\n".format(p)
                                    for p in paths) + "</urlset>\n")
    site.add_file("/sitemap-pages.xml", urlset(site.sitemap).encode("utf-8"), "application/xml", template=True)
    site.add_file("/sitemap-news.xml.gz", urlset(site.news_sitemap).encode("utf-8"), "application/gzip",
                  template=True, gzip=True)
    return site


def write(site, out_dir):
    site_dir = os.path.join(out_dir, "site")
    if os.path.isdir(site_dir):
        shutil.rmtree(site_dir)
    for name, data in site.bytes.items():
        path = os.path.join(site_dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    manifest = {"variant": site.variant, "pages": site.pages, "files": site.files, "redirects": site.redirects,
                "gone": site.gone, "slow": site.slow, "huge": site.huge, "flaky": site.flaky,
                "outcomes": site.outcomes}
    tmp = os.path.join(out_dir, "site.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    os.replace(tmp, os.path.join(out_dir, "site.json"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--variant", type=int, choices=[1, 2], default=1)
    args = parser.parse_args()
    site = build(args.variant)
    write(site, args.out_dir)
    stored = sum(1 for p in site.pages if p["expect"] == "stored")
    print("sitegen: {} pages to store, {} URLs in all, variant {} -> {}".format(
        stored, stored + len(site.outcomes), args.variant, args.out_dir))


if __name__ == "__main__":
    main()
