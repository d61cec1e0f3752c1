%# The page frame every view rebases onto; `user` is '' when nobody is logged in.
<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{{title}} · Notes</title>
  <link rel="stylesheet" href="/static/notes.css">
</head>
<body>
<header>
  <a class="brand" href="/">Notes</a>
% if (user):
  <form class="logout" action="/logout" method="post">
    <span>{{user}}</span> <button type="submit" id="logout">Log out</button>
  </form>
% end
</header>
<main>
{{!base}}
</main>
</body>
</html>
