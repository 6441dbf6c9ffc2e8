//! The html stage: titles, link farms, and pages end to end (its rule examples run in `sluice check`).

use sluice::{BlockKind, Pipeline, RuleSet, StageName};

fn clean(page: &str) -> sluice::Cleaned {
    let rules = RuleSet::defaults().unwrap();
    Pipeline::from_rules(&rules)
        .unwrap()
        .clean(page.as_bytes())
        .unwrap()
}

const ARTICLE: &str = "<div class=\"content\">\
    <p>微營銷不是真的注重商品有多少逼格，而是更加注重人的營銷。</p>\
    <p>當然，如果微營銷小到只有附加價值的商品才可以做的話，那也太不起眼了。</p>\
    <p>還有一種是出于信任代理的營銷方式，或許有機會做成大眾化營銷。</p></div>";

#[test]
fn hijacked_title_gives_way_to_the_real_one() {
    let page = format!(
        "<html><head><title>超清精品丝袜|亚洲日本欧美综合|澳门赌场</title></head>\
         <body><h1>微營銷的信任代理</h1>{ARTICLE}</body></html>"
    );
    let cleaned = clean(&page);
    assert_eq!(cleaned.title.as_deref(), Some("微營銷的信任代理"));
    assert!(
        cleaned
            .report
            .flags
            .iter()
            .any(|f| f.rule == "html.title-hijacked")
    );
}

#[test]
fn site_name_is_cut_from_the_title() {
    let page = format!(
        "<html><head><title>微營銷的信任代理_新浪新聞</title></head><body>{ARTICLE}</body></html>"
    );
    assert_eq!(clean(&page).title.as_deref(), Some("微營銷的信任代理"));
}

#[test]
fn hidden_link_farm_is_gone() {
    let farm: String = (0..20)
        .map(|i| format!("<a href=\"http://spam{i}.example/\">澳门赌场{i}</a> "))
        .collect();
    for hidden in [
        "style=\"display:none\"",
        "style=\"position:absolute;left:-9999px\"",
        "hidden",
    ] {
        let page = format!(
            "<html><head><title>微營銷</title></head><body>{ARTICLE}<div {hidden}>{farm}</div></body></html>"
        );
        let cleaned = clean(&page);
        assert!(
            !cleaned.text.contains("澳门赌场"),
            "{hidden}: {}",
            cleaned.text
        );
        assert!(cleaned.report.flags.iter().any(|f| f.rule == "html.hidden"));
    }
}

#[test]
fn visible_link_farm_inside_the_article_is_gone() {
    let farm: String = (0..8)
        .map(|i| format!("<a href=\"http://spam{i}.example/\">六合彩{i}</a> "))
        .collect();
    let page =
        format!("<html><body><div>{ARTICLE}<div class=\"box\">{farm}</div></div></body></html>");
    let cleaned = clean(&page);
    assert!(!cleaned.text.contains("六合彩"), "{}", cleaned.text);
    assert!(cleaned.text.contains("信任代理"));
}

#[test]
fn navigation_and_footer_are_not_content() {
    let nav: String = (0..10)
        .map(|i| format!("<li><a href=\"/c{i}\">頻道{i}</a></li>"))
        .collect();
    let page = format!(
        "<html><body><ul class=\"nav\">{nav}</ul>{ARTICLE}\
         <div class=\"footer\">關於我們 | 聯繫我們 | 網站地圖<br>Copyright © 2015 Example</div></body></html>"
    );
    let cleaned = clean(&page);
    assert!(!cleaned.text.contains("頻道"));
    assert!(!cleaned.text.contains("Copyright"));
    assert_eq!(cleaned.text.lines().count(), 3, "{}", cleaned.text);
    assert!(cleaned.kinds.iter().all(|k| *k == BlockKind::Paragraph));
}

#[test]
fn a_form_wrapping_the_body_is_kept() {
    let page = format!(
        "<html><body><form id=\"form1\" method=\"post\"><input type=\"hidden\" value=\"x\">\
         {ARTICLE}<input type=\"submit\" value=\"搜索\"></form></body></html>"
    );
    let cleaned = clean(&page);
    assert_eq!(cleaned.text.lines().count(), 3, "{}", cleaned.text);
}

#[test]
fn blocks_are_typed() {
    let page = "<html><head><title>一篇關於背景的文章</title></head><body><div>\
        <h2>第一節，背景介紹</h2><p>正文的第一段，內容完整，很長很長的句子。</p>\
        <ul><li>列表的第一項，有標點，也很長。</li></ul>\
        <table><tr><td>表格裡的一格，有標點，也很長。</td></tr></table></div></body></html>";
    let cleaned = clean(page);
    assert_eq!(
        cleaned.kinds,
        [
            BlockKind::Heading,
            BlockKind::Paragraph,
            BlockKind::ListItem,
            BlockKind::TableCell
        ],
        "{}",
        cleaned.text
    );
}

#[test]
fn gbk_pages_are_decoded_before_parsing() {
    let page = format!(
        "<html><head><meta charset=\"gb2312\"><title>微營銷</title></head><body>{ARTICLE}</body></html>"
    )
    .replace("營", "营")
    .replace("當", "当")
    .replace("價", "价")
    .replace("還", "还")
    .replace("種", "种");
    let (bytes, _, _) = encoding_rs::GBK.encode(&page);
    let mut rules = RuleSet::defaults().unwrap();
    // Keep the page's mixed script as decoded: this test is about the charset.
    rules.override_setting(StageName::Script, "mode", "keep".into());
    let cleaned = Pipeline::from_rules(&rules).unwrap().clean(&bytes).unwrap();
    assert!(
        cleaned.text.contains("微营銷不是真的注重商品"),
        "{}",
        cleaned.text
    );
}

#[test]
fn odd_markup_never_panics() {
    let rules = RuleSet::defaults().unwrap();
    let pipeline = Pipeline::from_rules(&rules).unwrap();
    let long_attribute = format!("<div class=\"{}\">正文，內容。</div>", "x".repeat(100_000));
    let samples = [
        "<html><body><p>未閉合的段落，<b>粗體<i>斜體</p></div></span>",
        "<html><body><table><tr><td><table><td>巢狀表格，內容。</table></td></tr>",
        "<html><body><a name=top>永遠不關的錨點，<p>後面的正文，很長的句子。</p>",
        "<html><head><title></title><meta property=\"og:title\" content=\"\"></head><body></body></html>",
        "<html><body>\u{0}\u{feff}<p>\u{3000}\u{3000}全形空格開頭的段落，內容。</p>",
        "<html><body><pre>第一行，內容。\n第二行，內容。\n</pre></body></html>",
        long_attribute.as_str(),
    ];
    for sample in samples {
        let page = format!("<html>{sample}");
        if let Ok(cleaned) = pipeline.clean(page.as_bytes()) {
            assert_eq!(
                cleaned.kinds.len(),
                cleaned.text.lines().count(),
                "{sample}"
            );
        }
    }
}

#[test]
fn pre_lines_stay_lines() {
    let cleaned =
        clean("<html><body><pre>第一行，這是內容。\n第二行，這是內容。</pre></body></html>");
    assert_eq!(cleaned.text, "第一行，這是內容。\n第二行，這是內容。");
}

#[test]
fn hijacked_title_without_heading_takes_the_first_title_line() {
    let page = format!(
        "<html><head><title>超清精品丝袜国产|亚洲日本欧美综合|澳门赌场</title></head>\
         <body><div><p>你了解微營銷的信任代理嗎?</p>{ARTICLE}</div></body></html>"
    );
    let cleaned = clean(&page);
    assert_eq!(cleaned.title.as_deref(), Some("你了解微營銷的信任代理嗎?"));
    assert!(!cleaned.text.contains("你了解微營銷的信任代理嗎?"));
}

#[test]
fn a_wrapper_of_article_and_link_list_is_not_a_farm() {
    let links: String = (0..60)
        .map(|i| format!("<li><a href=\"/n{i}\">一條很長很長的相關新聞標題第{i}條</a></li>"))
        .collect();
    let page = format!(
        "<html><body><div id=\"endText\"><div>{ARTICLE}<ul>{links}</ul></div>{ARTICLE}</div></body></html>"
    );
    // Without the dedup stage, which would rightly drop the second copy of the article.
    let rules = RuleSet::defaults().unwrap();
    let stages = StageName::ALL
        .into_iter()
        .filter(|s| *s != StageName::Dedup);
    let cleaned = Pipeline::with_stages(&rules, stages)
        .unwrap()
        .clean(page.as_bytes())
        .unwrap();
    assert_eq!(
        cleaned.text.matches("信任代理").count(),
        2,
        "{}",
        cleaned.text
    );
}

/// `sluice clean` of `fixtures/html/NAME.html`, as the library runs it.
fn clean_fixture(name: &str) -> sluice::Cleaned {
    let path = format!("{}/fixtures/html/{name}.html", env!("CARGO_MANIFEST_DIR"));
    clean(&std::fs::read_to_string(&path).unwrap())
}

fn flagged(cleaned: &sluice::Cleaned, rule: &str, words: &str) -> bool {
    cleaned
        .report
        .flags
        .iter()
        .any(|f| f.rule == rule && f.message.contains(words))
}

#[test]
fn a_chrome_class_on_the_body_does_not_empty_the_page() {
    let cleaned = clean_fixture("body-class-nav-bar");
    for sentence in [
        "不少城市把有轨电车",
        "客流长期低迷",
        "运量介于公交和地铁之间",
        "避免新的债务负担",
    ] {
        assert!(
            cleaned.text.contains(sentence),
            "{sentence}: {}",
            cleaned.text
        );
    }
    assert!(!cleaned.text.contains("地铁票价调整"), "{}", cleaned.text);
    assert!(
        flagged(&cleaned, "html.chrome-class", "not applied"),
        "{:#?}",
        cleaned.report.flags
    );
}

#[test]
fn a_container_hidden_until_scripts_run_is_kept() {
    let cleaned = clean_fixture("hidden-until-scripts");
    for sentence in [
        "背着一只旧行李箱",
        "走一个多小时的山路",
        "接过了她手里的粉笔",
        "离不开这些孩子",
    ] {
        assert!(
            cleaned.text.contains(sentence),
            "{sentence}: {}",
            cleaned.text
        );
    }
    // The hidden link farm beside it still goes.
    assert!(!cleaned.text.contains("澳门赌场"), "{}", cleaned.text);
    assert!(flagged(&cleaned, "html.hidden", "not applied"));
    assert!(flagged(&cleaned, "html.hidden", "removed"));
}

#[test]
fn posts_under_a_chrome_class_fall_back_to_the_second_extractor() {
    let cleaned = clean_fixture("comment-items");
    for sentence in [
        "善良和恶毒都不够纯粹",
        "女性依然被困住",
        "好剧本从来不挑年龄",
        "台词写得克制",
        "没有纯粹的好人和坏人",
    ] {
        assert!(
            cleaned.text.contains(sentence),
            "{sentence}: {}",
            cleaned.text
        );
    }
    // Each comment's stamp line (`小满看过 2024-05-01`) is the engine's, not the comment.
    assert!(!cleaned.text.contains("看过"), "{}", cleaned.text);
    assert!(flagged(&cleaned, "html.posts", "thread of 5 posts"));
    assert!(
        cleaned
            .report
            .flags
            .iter()
            .any(|f| f.rule == "html.fallback"),
        "{:#?}",
        cleaned.report.flags
    );
}

/// The main scorer finds only a topic's short first post (its replies are under `comment`
/// names); the fallback's extraction is the reply list. Both stay: the fallback adds, it does not
/// take the first post away.
#[test]
fn a_short_first_post_stays_beside_the_fallbacks_replies() {
    let replies: String = [
        "花钱就可以解决问题吗？我觉得还是要先想清楚自己到底需要什么。",
        "有句话叫有钱能使鬼推磨，不过一天半也太久了，换作是我早就放弃了。",
        "平板现在真的很难买，我上个月也跑了好几家店，最后还是在网上下的单。",
        "四个平板是给家里人用的吗？要是给孩子上网课用，记得装上护眼的软件。",
    ]
    .iter()
    .map(|r| format!("<div class=\"comment-item\"><p>{r}</p></div>"))
    .collect();
    let page = format!(
        "<html><body><div class=\"thread\"><div class=\"topic\"><div class=\"post\"><p>花了一天半\
         的时间买了四个平板，总算是解决了。</p></div></div><div class=\"topic-foot\">\
         <div class=\"comment-list\">{replies}</div></div></div></body></html>"
    );
    let cleaned = clean(&page);
    for sentence in ["总算是解决了", "先想清楚", "护眼的软件"] {
        assert!(
            cleaned.text.contains(sentence),
            "{sentence}: {}",
            cleaned.text
        );
    }
    assert!(
        flagged(
            &cleaned,
            "html.fallback",
            "1 prose blocks of the main content beside it"
        ),
        "{:#?}",
        cleaned.report.flags
    );
}

#[test]
fn prose_only_in_removed_elements_is_an_empty_body_that_says_why() {
    let prose = "这是一段放在文本框里的长文章，内容完整，句子也很长。".repeat(12);
    let page = format!("<html><body><form><textarea>{prose}</textarea></form></body></html>");
    let cleaned = clean(&page);
    assert!(cleaned.text.is_empty(), "{}", cleaned.text);
    assert!(
        flagged(&cleaned, "html.main-content", "empty body"),
        "{:#?}",
        cleaned.report.flags
    );
}

/// Each fixture's wrong title of old: an engine's name out of a Discuz! Archiver `<title>`, a blog
/// header's author name, a sidebar's `导航` heading, a logo `h1` found inside `<title>`.
#[test]
fn titles_come_from_agreeing_sources_not_chrome() {
    for (fixture, title) in [
        (
            "title-discuz-archiver",
            "社会资本、人力资本与下岗职工的再就业",
        ),
        ("title-blog-header", "很高兴入住博客堂"),
        ("title-nav-heading", "评老冒：做最好的和最酷的东西？"),
        (
            "title-logo-heading",
            "37岁球员身价过亿，住进富人区，家世显赫",
        ),
    ] {
        assert_eq!(
            clean_fixture(fixture).title.as_deref(),
            Some(title),
            "{fixture}"
        );
    }
}

#[test]
fn without_a_title_tag_the_heading_above_the_post_beats_the_header() {
    let path = format!(
        "{}/fixtures/html/title-blog-header.html",
        env!("CARGO_MANIFEST_DIR")
    );
    let page = std::fs::read_to_string(path).unwrap();
    let untitled = page.replace("<title>很高兴入住博客堂 - 李建忠 - 博客堂</title>", "");
    assert_eq!(clean(&untitled).title.as_deref(), Some("很高兴入住博客堂"));
}

#[test]
fn a_keyword_header_line_is_not_a_title() {
    let cleaned = clean_fixture("title-keyword-header");
    assert!(
        !cleaned.title.as_deref().unwrap_or("").contains("装修公司"),
        "{:?}",
        cleaned.title
    );
    assert!(
        cleaned.text.contains("在北京做旧房改造"),
        "{}",
        cleaned.text
    );
}

/// html5ever opens an element for a self-closing non-void tag and ignores a closing tag that
/// matches nothing: both nest as deep as the tags go, and must be refused before parsing.
#[test]
fn flat_looking_markup_that_nests_is_refused() {
    let rules = RuleSet::defaults().unwrap();
    let pipeline = Pipeline::from_rules(&rules).unwrap();
    for unit in ["<div/>", "<div></span>", "<span><div></span>"] {
        let page = format!(
            "<html><body>{}<p>正文。</p></body></html>",
            unit.repeat(100_000)
        );
        let error = pipeline.clean(page.as_bytes()).err();
        assert!(
            error
                .as_ref()
                .is_some_and(|e| e.to_string().contains("html.max_depth")),
            "{unit}: {error:?}"
        );
    }
}

#[test]
fn void_self_closing_and_svg_tags_do_not_nest() {
    let rules = RuleSet::defaults().unwrap();
    let pipeline = Pipeline::from_rules(&rules).unwrap();
    let icons = "<svg><path d=\"M0 0\"/><circle r=\"1\"/></svg>".repeat(5_000);
    let breaks = "<br/><img src=\"a.png\"/>".repeat(5_000);
    let page = format!("<html><body>{icons}{breaks}<p>正文，內容完整。</p></body></html>");
    let cleaned = pipeline.clean(page.as_bytes()).unwrap();
    assert!(cleaned.text.contains("正文"), "{}", cleaned.text);
}

/// No page of the shared corpora comes out with an empty body (skipped without the corpora).
#[test]
fn no_corpus_page_gets_an_empty_body() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !root.is_dir() {
        eprintln!("{}: not found, test skipped", root.display());
        return;
    }
    let pipeline = Pipeline::from_rules(&RuleSet::defaults().unwrap()).unwrap();
    let mut empty = Vec::new();
    let mut pages = 0;
    for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "html") {
            continue;
        }
        pages += 1;
        let bytes = std::fs::read(entry.path()).unwrap();
        let cleaned = pipeline.clean(&bytes).unwrap();
        if cleaned.text.trim().is_empty() {
            empty.push(entry.path().display().to_string());
        }
    }
    assert!(pages > 0, "no pages under {}", root.display());
    assert!(empty.is_empty(), "empty bodies: {empty:#?}");
}

/// A Discuz-like thread: each post a `div#post_N` with a user card of links, a vote count, a
/// `关注` widget and the post's text.
fn thread(posts: &[&str]) -> String {
    let mut page = String::from("<html><body><div id=\"postlist\">");
    for (n, text) in posts.iter().enumerate() {
        let card: String = [
            "用戶資料",
            "發短消息",
            "加為好友",
            "查看帖子",
            "積分排行",
            "勳章列表",
        ]
        .iter()
        .map(|w| format!("<a href=\"/u/{n}/{w}\">{w}</a>"))
        .collect();
        page.push_str(&format!(
            "<div id=\"post_{n}\"><div class=\"card\">{card}</div><p>12</p><p>關注</p><p>{text}</p></div>"
        ));
    }
    page.push_str("</div></body></html>");
    page
}

#[test]
fn every_post_of_a_thread_is_kept_without_its_widgets() {
    let posts = [
        "建議對遊戲的新版本進行改版，現在的版本跟別的遊戲差太遠了，希望官方認真考慮。",
        "頂你，這個建議說得太對了。",
        "頂",
        "同質化太嚴重了，玩久了就沒意思了。",
    ];
    let cleaned = clean(&thread(&posts));
    for post in posts {
        assert!(cleaned.text.contains(post), "{post} lost: {}", cleaned.text);
    }
    let dropped = &cleaned.report.html.as_ref().unwrap().dropped;
    let widgets = |text: &str| {
        let by_posts = dropped.iter().filter(|d| d.rule == "html.posts");
        by_posts.filter(|d| d.text == text).count()
    };
    assert_eq!(widgets("關注"), 3, "{dropped:?}");
    // A recurring number is no widget: it may be what the post says.
    assert_eq!(widgets("12"), 0);
    assert!(flagged(&cleaned, "html.posts", "thread of 4 posts"));
}

/// A Zhidao-like question: the best answer in a branch of its own, the other answers in a list,
/// every answer a `div.bd.answer` with a state class on some, a stamp line, a `关注` button and the
/// engine's question under it.
fn question(best: &str, others: &[&str]) -> String {
    let answer = |n: usize, state: &str, text: &str| {
        format!(
            "<div class=\"bd answer {state}\" id=\"answer-{n}\"><div class=\"card\">\
             <span>答主{n}号 2021-10-1{n}</span><span class=\"follow\">关注</span></div>\
             <div class=\"text\"><p>{text}</p></div><div class=\"ops\">你对这个回答的评价是？</div></div>"
        )
    };
    let list: String = others
        .iter()
        .enumerate()
        .map(|(n, text)| {
            answer(
                n + 2,
                if n == 0 { "answer-fold" } else { "answer-hide" },
                text,
            )
        })
        .collect();
    format!(
        "<html><body><article id=\"qb\"><div id=\"ask\"><h1>地震预警网的预告准确吗？</h1></div>\
         <div id=\"best\">{}</div><div id=\"answers\"><div class=\"wrap\">{list}</div></div>\
         </article><div id=\"side\"><a href=\"/a\">热门问题一</a><a href=\"/b\">热门问题二</a></div>\
         </body></html>",
        answer(1, "", best)
    )
}

#[test]
fn answers_in_separate_branches_are_one_thread_without_stamps_and_widgets() {
    let best = "地震预警网能在地震波到达前几秒到几十秒发出预警，为避险争取时间，它不能预报地震。";
    let others = [
        "据报道，预警网实现了秒级预警能力，覆盖了大部分地区。",
        "精准到了中等偏高的地步，可以提前预警很多突发情况。",
        "我在2021-10-12 18:30收到过一次预警，提前了十几秒。",
    ];
    let cleaned = clean(&question(best, &others));
    for text in others.iter().chain([&best]) {
        assert!(cleaned.text.contains(text), "{text} lost: {}", cleaned.text);
    }
    for engine in [
        "关注",
        "你对这个回答的评价是？",
        "答主1号 2021-10-11",
        "答主3号",
    ] {
        assert!(
            !cleaned.text.contains(engine),
            "{engine} kept: {}",
            cleaned.text
        );
    }
    assert!(flagged(&cleaned, "html.posts", "thread of 4 posts"));
}
