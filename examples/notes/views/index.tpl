% rebase('layout', { title: 'Your notes', user })
<h1>Your notes</h1>
% if (notes.length === 0):
<p class="empty">No notes yet.</p>
% else:
<ul class="notes">
  % for (const note of notes):
  <li>
    <a href="/notes/{{note.id}}">{{note.title}}</a>
    % if (note.attachment):
    <span class="attachment">attached: {{note.attachment}}</span>
    % end
    <time>{{note.created}}</time>
  </li>
  % end
</ul>
% end

<h2>New note</h2>
<form action="/notes" method="post" enctype="multipart/form-data" class="card" novalidate>
  <label for="title">Title</label>
  <input id="title" name="title" type="text" value="{{form.title}}" maxlength="{{limits.title}}">
% if (errors.title):
  <p class="error" id="title-error">{{errors.title}}</p>
% end
  <label for="body">Text</label>
  <textarea id="body" name="body" rows="5">{{form.body}}</textarea>
% if (errors.body):
  <p class="error" id="body-error">{{errors.body}}</p>
% end
  <label for="attachment">Attachment (optional)</label>
  <input id="attachment" name="attachment" type="file">
% if (errors.attachment):
  <p class="error" id="attachment-error">{{errors.attachment}}</p>
% end
  <button type="submit" id="save">Save note</button>
</form>
