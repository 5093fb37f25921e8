#!/usr/bin/env python3
"""The original program's side of the data files, for testing that the two can share them.

A small rendition of the exercise's models/base.py, models/user.py and models/user_session.py:
load_from_file reads a whole .db_<Model>.json with json.load, save() rewrites it with json.dump
of every object's serialisable dict, passwords are the hex SHA-256, timestamps
%Y-%m-%dT%H:%M:%S. Run in the data folder:

    python3 models.py DIR users                     the users, as to_json() shows them
    python3 models.py DIR sessions                  the stored sessions
    python3 models.py DIR create-user EMAIL PASSWORD
"""
import hashlib
import json
import os
import sys
import uuid
from datetime import datetime

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"
DATA = {}


class Base:
    def __init__(self, *args, **kwargs):
        s_class = str(self.__class__.__name__)
        if DATA.get(s_class) is None:
            DATA[s_class] = {}
        self.id = kwargs.get("id", str(uuid.uuid4()))
        if kwargs.get("created_at") is not None:
            self.created_at = datetime.strptime(kwargs.get("created_at"), TIMESTAMP_FORMAT)
        else:
            self.created_at = datetime.utcnow()
        if kwargs.get("updated_at") is not None:
            self.updated_at = datetime.strptime(kwargs.get("updated_at"), TIMESTAMP_FORMAT)
        else:
            self.updated_at = datetime.utcnow()

    def to_json(self, for_serialization=False):
        result = {}
        for key, value in self.__dict__.items():
            if not for_serialization and key[0] == "_":
                continue
            if type(value) is datetime:
                result[key] = value.strftime(TIMESTAMP_FORMAT)
            else:
                result[key] = value
        return result

    @classmethod
    def load_from_file(cls):
        s_class = cls.__name__
        file_path = ".db_{}.json".format(s_class)
        DATA[s_class] = {}
        if not os.path.exists(file_path):
            return
        with open(file_path, "r") as f:
            objs_json = json.load(f)
            for obj_id, obj_json in objs_json.items():
                DATA[s_class][obj_id] = cls(**obj_json)

    @classmethod
    def save_to_file(cls):
        s_class = cls.__name__
        file_path = ".db_{}.json".format(s_class)
        objs_json = {}
        for obj_id, obj in DATA[s_class].items():
            objs_json[obj_id] = obj.to_json(True)
        with open(file_path, "w") as f:
            json.dump(objs_json, f)

    def save(self):
        s_class = self.__class__.__name__
        self.updated_at = datetime.utcnow()
        DATA[s_class][self.id] = self
        self.__class__.save_to_file()

    @classmethod
    def all(cls):
        return list(DATA[cls.__name__].values())


class User(Base):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = kwargs.get("email")
        self._password = kwargs.get("_password")
        self.first_name = kwargs.get("first_name")
        self.last_name = kwargs.get("last_name")

    @property
    def password(self):
        return self._password

    @password.setter
    def password(self, pwd):
        if pwd is None or type(pwd) is not str:
            self._password = None
        else:
            self._password = hashlib.sha256(pwd.encode()).hexdigest().lower()


class UserSession(Base):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id = kwargs.get("user_id")
        self.session_id = kwargs.get("session_id")


def main(argv):
    os.chdir(argv[1])
    command = argv[2]
    if command == "users":
        User.load_from_file()
        print(json.dumps([user.to_json() for user in User.all()]))
    elif command == "sessions":
        UserSession.load_from_file()
        print(json.dumps([session.to_json(True) for session in UserSession.all()]))
    elif command == "create-user":
        User.load_from_file()
        user = User(email=argv[3])
        user.password = argv[4]
        user.save()
        print(user.id)
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main(sys.argv)
