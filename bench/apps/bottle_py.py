"""The reference a porting user comes from: the same six scenarios in Python Bottle,
served by gunicorn with one sync worker (see bench/run.mjs)."""
import os

import bottle
from bottle import Bottle, request, static_file, template

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
PUBLIC = os.path.join(BENCH, '.cache', 'public', 'static')
bottle.TEMPLATE_PATH.insert(0, os.path.join(BENCH, 'views', 'python'))

ROWS = [{'id': i, 'name': 'Item <%d> & "friends"' % i, 'price': '%.2f' % (i * 1.25)}
        for i in range(100)]
TITLE = 'Price list <bench>'

app = Bottle()


@app.get('/')
def hello():
    return 'Hello World!'


@app.get('/json')
def json_():
    return {'message': 'Hello World!'}


def _filler(n):
    return lambda id: 'item%d %s' % (n, id)


for _i in range(99):
    app.route('/item%d/<id>' % _i, 'GET', _filler(_i))


@app.get('/user/<id>')
def user(id):
    return 'user ' + id


@app.post('/echo')
def echo():
    return request.json


@app.get('/page')
def page():
    return template('page', title=TITLE, rows=ROWS)


@app.get('/static/<filename:path>')
def static(filename):
    return static_file(filename, root=PUBLIC)
