% rebase('layout', { title: 'Home' })
%# `name` comes from the query string, so it is escaped by {{ }}.
<h1>Hello {{name}}!</h1>
<p>Try <a href="/?name=%3Cb%3Ebold%3C/b%3E">a name with markup</a>: it is shown, not run.</p>
