FLASK_APP=versus
