% rebase('layout', { title: status, user })
<h1>{{status}}</h1>
<p class="error">{{message}}</p>
<p><a href="/">← Back to your notes</a></p>
