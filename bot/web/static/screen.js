// The room screen: redrawn at each server-sent event, with text only (never HTML).
(function () {
  "use strict";
  var root = document.getElementById("screen");
  if (!root) { return; }
  var labels = {
    anonymous: root.getAttribute("data-anonymous"),
    taken: root.getAttribute("data-taken")
  };
  function byId(id) { return document.getElementById(id); }
  function show(id, visible) { byId(id).hidden = !visible; }
  function text(id, value) { byId(id).textContent = value || ""; }

  function question(q) {
    var item = document.createElement("li");
    item.className = "question" + (q.taken ? " taken" : "");
    item.setAttribute("data-id", String(q.id));
    item.setAttribute("data-votes", String(q.votes));
    var votes = document.createElement("span");
    votes.className = "votes";
    votes.textContent = String(q.votes);
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = q.text;
    var author = document.createElement("span");
    author.className = "author" + (q.anonymous ? " anonymous" : "");
    author.textContent = q.author;
    item.append(votes, body, author);
    if (q.taken) {
      var mark = document.createElement("span");
      mark.className = "taken-mark";
      mark.textContent = labels.taken;
      item.append(mark);
    }
    return item;
  }

  function draw(state) {
    root.setAttribute("data-mode", state.mode);
    var talk = state.mode === "talk";
    show("current", talk);
    show("between", !talk);
    show("qa", talk);
    if (talk) {
      text("current-title", state.title);
      text("current-speakers", state.speakers);
      text("current-time", state.time);
    } else {
      text("next-title", state.mode === "next" ? state.title : byId("next-title").textContent);
      text("next-speakers", state.speakers);
      text("next-time", state.time);
    }
    var list = byId("questions");
    list.replaceChildren.apply(list, state.questions.map(question));
    show("no-questions", state.questions.length === 0);
    show("ask", Boolean(state.qr));
    if (state.qr && byId("qr").getAttribute("src") !== state.qr) { byId("qr").src = state.qr; }
    show("up-next", Boolean(state.next));
    if (state.next) {
      text("after-time", state.next.time);
      text("after-title", state.next.title);
    }
  }

  var source = new EventSource(root.getAttribute("data-stream"));
  source.addEventListener("state", function (event) {
    byId("live").setAttribute("data-live", "on");
    draw(JSON.parse(event.data));
  });
  source.addEventListener("error", function () { byId("live").setAttribute("data-live", "off"); });
})();
