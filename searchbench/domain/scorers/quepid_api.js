// Quepid's scorer API for custom scorers, installed once per sandbox context.
//
// __quepid_score(scorer, input) builds the helpers a Quepid scorer expects and calls the user's
// code (compiled by js.py as a function whose parameters are these names, so that sloppy code
// such as `total = 0` assigns a parameter, as it does in Quepid, and never a global).
// The first of setScore / pass / fail wins, as with the promise Quepid settles.
// Returns { state: "score" | "fail" | "none", value, type } as JSON-friendly data.

var __quepid_score = function (scorer, input) {
  var DEFAULT_NUM_DOCS = 10;
  var scale = input.scale;
  var max = scale[scale.length - 1];
  var total = input.numFound;
  var options = input.options;

  var docs = input.docs.map(function (d) {
    var doc = Object.assign({}, d.fields, { id: d.id });
    var entry = {
      doc: doc,
      hasRating: function () { return d.rating !== null; },
      getRating: function () { return d.rating; },
    };
    if (d.rating !== null) { entry.rating = d.rating; }
    return entry;
  });

  var bestDocs = input.bestDocs.map(function (b) {
    return { id: b.id, rating: b.rating, getRating: function () { return b.rating; } };
  });

  var query = {
    queryId: input.queryId,
    queryText: input.queryText,
    ratedDocs: input.ratedDocs,
    depthOfRating: undefined,
  };

  var settled = null;
  var settle = function (state, value) {
    if (settled === null) { settled = { state: state, value: value }; }
  };

  var baseAvg = function (count) {
    if (count === undefined) { count = DEFAULT_NUM_DOCS; }
    var limit = Math.min(count, docs.length);
    var sum = 0;
    var rated = 0;
    for (var i = 0; i < limit; i++) {
      if (docs[i].hasRating()) {
        sum += parseInt(docs[i].getRating(), 10);
        rated += 1;
      }
    }
    return rated > 0 ? sum / rated : null;
  };

  var levenshtein = function (a, b) {
    if (a.length === 0 || b.length === 0) { return 0; }
    var prev = [];
    for (var j = 0; j < b.length; j++) { prev.push(0); }
    var rows = [];
    for (var i = 0; i < a.length; i++) {
      var row = [];
      for (var k = 0; k < b.length; k++) {
        var up = i > 0 ? rows[i - 1][k] : 0;
        var left = k > 0 ? row[k - 1] : 0;
        var diag = i > 0 && k > 0 ? rows[i - 1][k - 1] : 0;
        row.push(Math.min(up + 1, left + 1, diag + (a[i] === b[k] ? 0 : 1)));
      }
      rows.push(row);
    }
    return rows[a.length - 1][b.length - 1];
  };

  var docAt = function (i) { return i >= docs.length ? {} : docs[i].doc; };
  var docExistsAt = function (i) { return i < docs.length; };
  var ratedDocAt = function (i) { return i >= query.ratedDocs.length ? {} : query.ratedDocs[i]; };
  var ratedDocExistsAt = function (i) { return i < query.ratedDocs.length; };
  var hasDocRating = function (i) { return docExistsAt(i) && docs[i].hasRating(); };
  var docRating = function (i) { return docExistsAt(i) ? docs[i].getRating() : undefined; };
  var numFound = function () { return total; };
  var numReturned = function () { return docs.length; };
  var avgRating = function (count) { return baseAvg(count); };
  var avgRating100 = function (count) {
    var avg = baseAvg(count);
    return avg ? Math.floor(avg * (100 / max)) : null;
  };
  var editDistanceFromBest = function (count) {
    if (count === undefined) { count = DEFAULT_NUM_DOCS; }
    var n = Math.min(count, docs.length);
    var ratings = [];
    for (var i = 0; i < n; i++) {
      ratings.push(docs[i].hasRating() ? parseInt(docs[i].getRating(), 10) : null);
    }
    var best = bestDocs.slice(0, Math.min(count, bestDocs.length)).map(function (b) { return b.rating; });
    while (best.length < n) { best.push(null); }
    return Math.floor(levenshtein(ratings, best));
  };
  var eachDoc = function (f, count) {
    if (count === undefined) { count = DEFAULT_NUM_DOCS; }
    for (var i = 0; i < count; i++) {
      if (docExistsAt(i)) { f(docAt(i), i); }
    }
  };
  var eachRatedDoc = function (f, count) {
    if (count === undefined) { count = DEFAULT_NUM_DOCS; }
    for (var i = 0; i < count; i++) {
      if (ratedDocExistsAt(i)) { f(ratedDocAt(i), i); }
    }
  };
  var refreshRatedDocs = function () { return undefined; };
  var eachDocWithRatingEqualTo = function (rating, f) {
    bestDocs.forEach(function (b) { if (b.rating === rating) { f(b); } });
  };
  var eachDocWithRating = function (f) { bestDocs.forEach(function (b) { f(b); }); };
  var topRatings = function (count) {
    return bestDocs.slice(0, count).map(function (b) { return b.rating; });
  };
  var qOption = function (key) {
    return options && Object.prototype.hasOwnProperty.call(options, key) ? options[key] : null;
  };
  var recordDepthOfRanking = function (count) { query.depthOfRating = count; };
  var pass = function () { settle("score", 100); };
  var fail = function () { settle("fail", 0); };
  var setScore = function (score) { settle("score", score); };
  var assert = function (cond) { if (!cond) { fail(); } };
  var assertOrScore = function (cond, score) { if (!cond) { setScore(score); } };

  try {
    scorer(query, total, docs, bestDocs, undefined, options, max, docAt, docExistsAt, ratedDocAt,
      ratedDocExistsAt, hasDocRating, docRating, numFound, numReturned, avgRating, avgRating100,
      editDistanceFromBest, eachDoc, eachRatedDoc, refreshRatedDocs, eachDocWithRatingEqualTo,
      eachDocWithRating, topRatings, qOption, recordDepthOfRanking, pass, fail, setScore, assert,
      assertOrScore);
  } catch (e) {
    // Quepid ignores a throw once the score promise is settled; before that it is the error.
    if (settled === null) { throw e; }
  }

  if (settled === null) { return { state: "none", value: null, type: "undefined", depth: query.depthOfRating }; }
  var value = settled.value;
  var type = value === null ? "null" : typeof value;
  if (type === "number" && !isFinite(value)) { value = String(value); }
  else if (type !== "number" && type !== "null") {
    try { value = String(value); } catch (e) { value = "?"; }
  }
  return { state: settled.state, value: value, type: type, depth: query.depthOfRating };
};
