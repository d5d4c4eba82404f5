/*
 * Live character counters in each network's own measure: a port of
 * networks/textrules/measuring.py `measure` (same limits, same patterns, same results;
 * tests/content/test_charcount_js.py runs both on one table of cases).
 *
 * Use: <textarea id="copy-x" data-charcount-network="x"
 *        data-charcount-max="500"></textarea>
 *      <output data-charcount-for="copy-x"></output>
 * The output shows "212 / 280 weighted chars" and gets class "is-over" past the
 * limit. window.AdLoopCharcount.measure(network, text, maxLength) is public.
 *
 * A text with lines of only "---" is a thread where the network threads (X,
 * Bluesky, Mastodon): each part is measured alone and the counter shows the
 * part that is furthest over ("Part 2 of 3: 281 / 280 weighted chars"); other
 * networks get the parts joined, as the publisher sends them
 * (channel_rules.checking.parts_for; measureCopy here).
 *
 * One text, many channels (the post body): a list of counters, one per account,
 *   <ul data-charcount-channels="id_body" data-charcount-fallback="id_topic">
 *     <li data-charcount-account="12" data-charcount-network="bluesky"
 *         data-charcount-max="300"><output></output></li></ul>
 * Each item shows only while a checkbox of the same form with value "12" is
 * checked (the account is selected); the fallback field is measured while the
 * text is empty (the publisher sends the topic then).
 */
(function () {
  "use strict";

  var WEIGHTED = "weighted chars";
  var GRAPHEMES = "graphemes";
  var CHARS = "chars";

  function rule(maxLength, unit, extra) {
    var r = {
      max_length: maxLength, unit: unit, max_bytes: null, url_length: null,
      subject_only: false, threads: false
    };
    for (var k in extra || {}) r[k] = extra[k];
    return r;
  }

  var RULES = {
    x: rule(280, WEIGHTED, { url_length: 23, threads: true }),
    bluesky: rule(300, GRAPHEMES, { max_bytes: 3000, threads: true }),
    mastodon: rule(500, GRAPHEMES, { url_length: 23, threads: true }),
    linkedin: rule(3000, CHARS),
    facebook: rule(63206, CHARS),
    instagram: rule(2200, CHARS),
    email: rule(78, GRAPHEMES, { subject_only: true }),
    webhook: rule(null, CHARS),
    wordpress: rule(null, CHARS)
  };

  // --- patterns: keep in step with networks/textrules/measuring.py -------
  var WORD = "\\p{L}\\p{M}\\p{Nd}_";
  var URL_END = "[^\\s<>\"'.,;:!?)\\]}\u2026]";
  var URL_PATH = "(?:/(?:[^\\s<>\"]*" + URL_END + ")?)?";
  var GTLDS =
    "com|org|net|edu|gov|info|biz|app|dev|shop|store|online|site|blog|news|xyz" +
    "|co|tv";
  var LABEL = "[a-z0-9](?:[a-z0-9-]*[a-z0-9])?";
  var SCHEME_URL = "(?<![" + WORD + "])https?://[^\\s<>\"]*" + URL_END;
  var BARE_URL =
    "(?<![" + WORD + "@./-])(?:www\\.[^\\s<>\"]*" + URL_END +
    "|(?:" + LABEL + "\\.)+(?:(?:" + GTLDS + ")(?![" + WORD + "-])" + URL_PATH +
    "|[a-z]{2}(?=/)" + URL_PATH + "))";
  var ANY_URL = SCHEME_URL + "|" + BARE_URL;
  var HASHTAG =
    "(?<![" + WORD + "&/#])#([" + WORD + "]*[\\p{L}_][" + WORD + "]*)";
  var MENTION =
    "(?<![" + WORD + "=/@.])@([a-z0-9_]+(?:[a-z0-9_.-]*[a-z0-9_])?)" +
    "(?:@([a-z0-9-]+(?:\\.[a-z0-9-]+)+))?";
  var EMOJI_START =
    /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|[0-9#*]\uFE0F?\u20E3)/u;
  var EMOJI_SIGN =
    /\p{Emoji_Presentation}|\uFE0F|\p{Emoji_Modifier}|\p{Regional_Indicator}|\u20E3/u;
  var X_LIGHT = [[0, 4351], [8192, 8205], [8208, 8223], [8242, 8247]];

  function re(source) {
    return new RegExp(source, "giu");
  }

  var segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

  function graphemes(text) {
    var out = [];
    for (var s of segmenter.segment(text)) out.push(s.segment);
    return out;
  }

  function utf8Bytes(text) {
    return new TextEncoder().encode(text).length;
  }

  function isEmoji(cluster) {
    return EMOJI_START.test(cluster) && EMOJI_SIGN.test(cluster);
  }

  function xPlainWeight(text) {
    var total = 0;
    graphemes(text).forEach(function (cluster) {
      if (isEmoji(cluster)) {
        total += 2;
        return;
      }
      for (var ch of cluster) {
        var code = ch.codePointAt(0);
        var light = X_LIGHT.some(function (r) {
          return code >= r[0] && code <= r[1];
        });
        total += light ? 1 : 2;
      }
    });
    return total;
  }

  function xWeight(text) {
    text = text.normalize("NFC");
    var total = 0;
    var last = 0;
    for (var m of text.matchAll(re(ANY_URL))) {
      total += xPlainWeight(text.slice(last, m.index)) + 23;
      last = m.index + m[0].length;
    }
    return total + xPlainWeight(text.slice(last));
  }

  function mastodonCountable(text) {
    text = text.replace(re(SCHEME_URL), "x".repeat(23));
    return text.replace(re(MENTION), function (all, local) {
      return "@" + local;
    });
  }

  function withoutUrls(text) {
    return text.replace(re(ANY_URL), " ");
  }

  function count(pattern, text) {
    return Array.from(withoutUrls(text).matchAll(re(pattern))).length;
  }

  function subjectOf(text) {
    return text.split("\n", 1)[0].replace(/\r$/, "");
  }

  function length(rules, text) {
    if (rules.subject_only) text = subjectOf(text);
    if (rules.unit === WEIGHTED) return xWeight(text);
    if (rules.unit === GRAPHEMES) {
      if (rules.url_length) text = mastodonCountable(text);
      return graphemes(text).length;
    }
    return text.length; // UTF-16 code units
  }

  function measure(network, text, maxLength) {
    var rules = RULES[network];
    if (!rules) throw new Error("Unknown network '" + network + "'.");
    var limit = maxLength == null ? rules.max_length : maxLength;
    var len = length(rules, text);
    var size = utf8Bytes(text);
    return {
      length: len,
      limit: limit,
      unit: rules.unit,
      bytes: size,
      over_by: limit == null ? 0 : Math.max(0, len - limit),
      hashtags: count(HASHTAG, text),
      mentions: count(MENTION, text),
      byte_limit: rules.max_bytes,
      bytes_over_by: rules.max_bytes ? Math.max(0, size - rules.max_bytes) : 0
    };
  }

  // A line holding only "---" splits a thread (channel_rules.checking.THREAD_SEPARATOR).
  var THREAD_SEPARATOR = /^[ \t]*---[ \t]*$/m;

  function splitThread(text) {
    var parts = text.split(THREAD_SEPARATOR).map(function (p) {
      return p.trim();
    }).filter(function (p) { return p; });
    return parts.length ? parts : [text.trim()];
  }

  function partsFor(network, text) {
    var parts = splitThread(text);
    return RULES[network].threads ? parts : [parts.join("\n\n")];
  }

  function isOver(m) {
    return m.over_by > 0 || m.bytes_over_by > 0;
  }

  // The copy as it goes out: every part measured, and the one to show (the
  // furthest over, else the longest).
  function measureCopy(network, text, maxLength) {
    if (!RULES[network]) throw new Error("Unknown network '" + network + "'.");
    var parts = partsFor(network, text).map(function (p) {
      return measure(network, p, maxLength);
    });
    var worst = 0;
    parts.forEach(function (m, i) {
      var w = parts[worst];
      var key = [isOver(m) ? 1 : 0, m.over_by, m.bytes_over_by, m.length];
      var best = [isOver(w) ? 1 : 0, w.over_by, w.bytes_over_by, w.length];
      for (var k = 0; k < key.length; k++) {
        if (key[k] !== best[k]) {
          if (key[k] > best[k]) worst = i;
          break;
        }
      }
    });
    return {
      parts: parts, worst: worst, measure: parts[worst],
      over: parts.some(isOver)
    };
  }

  function describe(m) {
    var text = m.limit == null
      ? m.length + " " + m.unit
      : m.length + " / " + m.limit + " " + m.unit;
    if (m.byte_limit) text += " · " + m.bytes + " / " + m.byte_limit + " bytes";
    return text;
  }

  function describeCopy(c) {
    var text = describe(c.measure);
    if (c.parts.length > 1) {
      text = "Part " + (c.worst + 1) + " of " + c.parts.length + ": " + text;
    }
    return text;
  }

  function maxOf(el) {
    var max = el.dataset.charcountMax;
    return max ? Number(max) : null;
  }

  function bind(field) {
    if (field.dataset.charcountBound) return;
    field.dataset.charcountBound = "1";
    var outputs = document.querySelectorAll(
      '[data-charcount-for="' + field.id + '"]'
    );
    function update() {
      var c = measureCopy(field.dataset.charcountNetwork, field.value, maxOf(field));
      outputs.forEach(function (out) {
        out.textContent = describeCopy(c);
        out.classList.toggle("is-over", c.over);
      });
    }
    field.addEventListener("input", update);
    update();
  }

  // One text, a counter per selected channel account (the post body).
  function bindChannels(list) {
    if (list.dataset.charcountBound) return;
    var field = document.getElementById(list.dataset.charcountChannels);
    if (!field) return;
    list.dataset.charcountBound = "1";
    var fallback = document.getElementById(list.dataset.charcountFallback || "");
    var scope = field.form || document;
    var empty = list.parentNode.querySelector("[data-charcount-none]");
    function selected(item) {
      var boxes = scope.querySelectorAll(
        'input[type="checkbox"][value="' + item.dataset.charcountAccount + '"]'
      );
      if (!boxes.length) return true; // nothing to choose: the post's accounts
      return Array.prototype.some.call(boxes, function (b) { return b.checked; });
    }
    function update() {
      var text = field.value;
      var usesFallback = !text.trim() && fallback;
      if (usesFallback) text = fallback.value;
      var shown = 0;
      list.querySelectorAll("[data-charcount-account]").forEach(function (item) {
        var on = selected(item);
        item.hidden = !on;
        if (!on) return;
        shown += 1;
        var c = measureCopy(item.dataset.charcountNetwork, text, maxOf(item));
        var out = item.querySelector("output");
        out.textContent = describeCopy(c) + (usesFallback ? " (the topic)" : "");
        out.classList.toggle("is-over", c.over);
        item.classList.toggle("is-over", c.over);
      });
      if (empty) empty.hidden = shown > 0;
    }
    field.addEventListener("input", update);
    if (fallback) fallback.addEventListener("input", update);
    scope.addEventListener("change", function (event) {
      if (event.target && event.target.type === "checkbox") update();
    });
    update();
  }

  function bindAll(root) {
    (root || document)
      .querySelectorAll("[data-charcount-network]:not([data-charcount-account])")
      .forEach(bind);
    (root || document)
      .querySelectorAll("[data-charcount-channels]")
      .forEach(bindChannels);
  }

  window.AdLoopCharcount = {
    RULES: RULES, measure: measure, measureCopy: measureCopy,
    partsFor: partsFor, bindAll: bindAll
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { bindAll(); });
  } else {
    bindAll();
  }
})();
