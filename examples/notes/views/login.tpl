% rebase('layout', { title: 'Log in', user: '' })
<h1>Log in</h1>
<form action="/login" method="post" class="card" novalidate>
% if (errors.form):
  <p class="error" role="alert">{{errors.form}}</p>
% end
  <label for="username">User name</label>
  <input id="username" name="username" type="text" value="{{username}}" autocomplete="username">
% if (errors.username):
  <p class="error" id="username-error">{{errors.username}}</p>
% end
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password">
% if (errors.password):
  <p class="error" id="password-error">{{errors.password}}</p>
% end
  <button type="submit" id="login">Log in</button>
</form>
<p class="hint">The demo user is shown in examples/notes/README.md.</p>
