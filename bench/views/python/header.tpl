<header><h1>{{title}}</h1></header>
