% rebase('layout', { title: note.title, user })
<article class="card">
  <h1>{{note.title}}</h1>
  <time>{{note.created}}</time>
  <div class="body">{{note.body}}</div>
% if (attachment):
  <p>Attachment:
    <a id="download" href="/notes/{{note.id}}/attachment" download>{{attachment.filename}}</a>
    ({{attachment.size}} bytes)
  </p>
% end
  <form action="/notes/{{note.id}}/delete" method="post">
    <button type="submit" class="danger">Delete</button>
  </form>
</article>
<p><a href="/">← All notes</a></p>
